//! The command line (DESIGN.md, "Command line").

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::target::TargetArgs;

#[derive(Debug, Parser)]
#[command(
    name = "walab",
    version,
    about = "Walk through section 5 of the Cognito/WAF API security lab, locally or on AWS",
    long_about = "walab walks you through section 5 of the AWS Well-Architected lab \"Multilayered API \
Security with Cognito and WAF\": putting Amazon Cognito in front of an API that sits behind \
CloudFront, so that only signed-in users get through.\n\n\
With no command, walab opens the walkthrough: the section step by step, every check live, every \
failure explained (press ? in it for the keys).\n\n\
By default everything runs against a local lab that walab serves itself, on this machine, over \
the real AWS wire protocols: no AWS account or network needed.",
    after_help = "Start a local lab other tools can use:\n  walab serve\n\
Then, in another terminal, point the AWS CLI or any SDK at it:\n  \
export AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Where the lab is; accepted before or after the subcommand.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Colours of the walkthrough (NO_COLOR turns colour off whatever the theme)
    #[arg(long, value_enum, default_value_t = crate::tui::ThemeName::Dark)]
    pub theme: crate::tui::ThemeName,
    /// Scroll the walkthrough's panes with the mouse wheel. Off by default: while walab has the
    /// mouse, selecting text to copy needs Shift held in most terminals
    #[arg(long, env = "WALAB_MOUSE")]
    pub mouse: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the local lab: the lab's AWS account on this machine, until Ctrl-C
    #[command(
        long_about = "Serve the local lab: the lab's Cognito user pool, CloudFormation stacks, API Gateway \
API and CloudFront distribution, on loopback, over the real AWS wire protocols. Its state is kept \
between runs, so stopping and starting again continues the same \"account\".\n\n\
Three listeners: the AWS endpoint (ADDR), the CloudFront edge (ADDR's port + 1) and the API \
Gateway invoke URL (port + 2). With port 0 all three get free ports.",
        after_help = "Examples:\n  walab serve                              AWS endpoint on 127.0.0.1:4566\n  \
walab serve --listen 127.0.0.1:0 --json  free ports; first stdout line is JSON\n  \
walab serve --fresh                      start over as section 5 begins\n  \
walab serve --show-password              print the demo user's password (for a projector)\n  \
walab serve info --json                  the running lab's JSON line, read while it runs"
    )]
    Serve(ServeArgs),
    /// Join a workshop's room: your own lab account, served by the instructor's machine
    #[command(
        long_about = "Join a workshop's room: the instructor's `walab serve --room` gives every attendee an \
account of their own, in the state section 5 starts from. The code is the only way in. A name is \
not a key: a name already taken is refused, except to the machine that took it (its walab signs the \
join with the account's key), so joining again from the same laptop gives you the same account; \
on a new laptop, ask the instructor for `walab room reissue NAME` and join with the code it prints.\n\n\
walab records the account as target `room` (so `walab --target room check` and the rest use it), \
writes the credentials the room issued to a file only you can read, says how to use them from a \
shell, and opens the walkthrough on your account.",
        after_help = "Examples:\n  walab join http://192.168.1.20:4566 --code K7QF-2MXP --name \"Ada Lovelace\"\n  \
walab join http://192.168.1.20:4566 --code K7QF-2MXP --name \"Ada Lovelace\" --json"
    )]
    Join(JoinArgs),
    /// Watch a room: every attendee's progress through section 5 (the instructor's dashboard)
    #[command(
        long_about = "Watch a room: one row per attendee, one column per check, how many passed, what each did \
last and how long they have been on their step. The room works progress out itself, from each \
account's state and traffic, so attendees using the AWS CLI or an SDK are followed too.\n\n\
On the room's machine walab finds the running room by itself (whatever its state directory); \
elsewhere pass --server, and the instructor key in WALAB_ROOM_KEY (or --key, which other users \
of the machine can see).",
        after_help = "Examples:\n  walab room\n  walab room --json\n  WALAB_ROOM_KEY=wik_… walab room --server http://192.168.1.20:4566\n  walab room reissue \"Ada Lovelace\""
    )]
    Room(RoomArgs),
    /// Show or change the values walab records for the lab (ids, the app client secret, URLs)
    #[command(
        long_about = "Show or change the values walab records for the lab: the user pool and app client ids, \
the app client secret, the CloudFront endpoint, the API Gateway URL and your username. Values are kept \
per target (the local lab, or an AWS profile and region) in a file only you can read. Passwords are \
never recorded.",
        after_help = "Examples:\n  walab config show\n  \
walab config set username me@example.com\n  \
walab config set app-client-secret -      reads the secret from stdin (keeps it out of shell history)\n  \
walab --target aws --profile lab config show"
    )]
    Config(ConfigArgs),
    /// GET a URL like the lab's request script: status, latency, X-Cache and the body
    #[command(
        long_about = "GET a URL the way the lab's request script does, with the ID token (when given) sent as \
`Authorization: <token>` (raw, no \"Bearer \"). Shows the status, how long it took, CloudFront's \
X-Cache verdict and what it means, the headers that tell who answered, and what a 401 or 403 \
means for the lab.\n\n\
The body goes to stdout: JSON pretty-printed, text cut after 64 KiB, binary data not printed. \
Everything else (status, headers, notes, hints) goes to stderr, so `walab request URL > body.json` \
saves just the body. Redirects are shown, not followed. Colour only on a terminal, never with NO_COLOR.\n\n\
Exit status: 0 when a response arrived, whatever its status; 1 when none did (refused, timed out, \
DNS, TLS) or when --expect does not match; 2 for a malformed URL or wrong arguments.",
        after_help = "Examples (CloudFrontEndpoint and APIGatewayURL are the stacks' outputs):\n  \
walab request https://d111111abcdef8.cloudfront.net/?id=1\n      \
no token: 401 once the API is protected (a 200 with X-Cache: Hit is the cache's old answer)\n  \
TOKEN=$(walab token)\n  \
walab request https://d111111abcdef8.cloudfront.net/?id=1 \"$TOKEN\" --expect 200\n      \
with the ID token: 200 and the data\n  \
walab request https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Dev/?id=1 \"$TOKEN\"\n      \
the API called directly: 403, WAF lets only CloudFront through\n  \
walab request http://127.0.0.1:4567/?id=1\n      \
the local lab's CloudFront endpoint (`walab serve`)"
    )]
    Request(RequestArgs),
    /// Run the lab's checks and explain every failure
    #[command(
        long_about = "Run the lab's checks, in the order of section 5, and explain every failure: what was seen \
and what to do about it. Values the checks find (stack outputs, the app client secret) are recorded.\n\n\
On --target aws the checks only read; the IAM permissions they (and the solves) need are in README, \
\"The IAM policy walab needs\".\n\n\
Exit status: 0 when every check passed, 1 when one failed, 2 for a usage or configuration error.",
        after_help = check_help(),
        after_long_help = check_help(),
    )]
    Check(CheckArgs),
    /// Do a console step through the API (asks first on AWS)
    #[command(
        long_about = "Do one of the lab's console steps through the API, or all of them in order. Each says \
what it will change first; on --target aws it asks before changing anything unless --yes. A step \
that is already done is left alone.",
        after_help = "Actions: sign-up create-authorizer protect-method deploy-api forward-header invalidate-cache\n\n\
Examples:\n  walab solve deploy-api\n  walab solve --all\n  walab --target aws solve forward-header --yes"
    )]
    Solve(SolveArgs),
    /// Get an ID token (only the token on stdout: TOKEN=$(walab token))
    #[command(
        long_about = "Sign in and print the ID token, like the lab's token script: only the token goes to \
stdout, so TOKEN=$(walab token) works; its expiry and claims go to stderr. With no arguments it uses \
the recorded values (username from `walab config`, password from WALAB_PASSWORD or a prompt).",
        after_help = "Examples:\n  TOKEN=$(walab token)\n  \
walab token me@example.com 'P4ssword!' us-east-1_AbCdEfGhI 1example23456789 SECRET\n  \
walab token --srp          (sign in as an app does, without AWS credentials)\n  \
walab request \"$CLOUDFRONT_ENDPOINT\" \"$(walab --target aws token)\"\n      \
CLOUDFRONT_ENDPOINT is the stack output (walab config show lists it)"
    )]
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print one JSON object instead of the table
    #[arg(long)]
    pub json: bool,
    /// Run only this check (repeatable)
    #[arg(long, value_name = "ID")]
    pub only: Vec<crate::guide::CheckId>,
    /// Run the Clean up step's checks: are the lab's stacks, log groups and bucket gone?
    #[arg(long)]
    pub teardown: bool,
    /// Do the missing console steps through the API, then check again
    #[arg(long)]
    pub solve: bool,
    /// With --solve on AWS: change resources without asking
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct SolveArgs {
    /// The console step to do
    #[arg(value_name = "ACTION", required_unless_present = "all", conflicts_with = "all")]
    pub action: Option<crate::guide::SolveAction>,
    /// Every console step, in order
    #[arg(long)]
    pub all: bool,
    /// Change AWS resources without asking
    #[arg(long)]
    pub yes: bool,
    /// sign-up: create the user as an administrator (AdminCreateUser, permanent password) instead of
    /// signing up and confirming by email
    #[arg(long)]
    pub admin: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// USERNAME PASSWORD POOL_ID CLIENT_ID CLIENT_SECRET, as the lab's script takes them (all five or none)
    #[arg(value_name = "ARGS", num_args = 0..=5)]
    pub args: Vec<String>,
    /// Sign in with SRP (USER_SRP_AUTH), as an app does: needs no AWS credentials
    #[arg(long)]
    pub srp: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print where walab keeps recorded values, the local lab and its log
    Path,
    /// Print the recorded values of the target (the secret masked)
    Show,
    /// Record a value; VALUE `-` reads it from stdin
    Set {
        /// user-pool-id, app-client-id, app-client-secret, cloudfront-endpoint, api-gateway-url or username
        key: String,
        value: String,
    },
    /// Forget one recorded value
    Unset { key: String },
    /// Forget every recorded value of the target
    Reset,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The room's address, as the instructor gave it (http://HOST:4566)
    #[arg(value_name = "SERVER_URL")]
    pub server: String,
    /// The room's code
    #[arg(long)]
    pub code: String,
    /// Your name, as the instructor will see it
    #[arg(long)]
    pub name: String,
    /// Print the account as one JSON object (credentials included) and exit
    #[arg(long)]
    pub json: bool,
    /// You do the lab on your own AWS account: the room gives you no lab account, only a key to
    /// report your progress with; walab then reports every check it runs for you, on any target
    #[arg(long)]
    pub report_only: bool,
}

#[derive(Debug, Args)]
pub struct RoomArgs {
    #[command(subcommand)]
    pub action: Option<RoomAction>,
    /// The room's address (default: the room running on this machine)
    #[arg(long, value_name = "URL", global = true)]
    pub server: Option<String>,
    /// The instructor key; better from WALAB_ROOM_KEY, which stays off the command line (it is
    /// in `walab serve --room --json`'s first line, and in the room's room.json)
    #[arg(long, value_name = "KEY", global = true)]
    pub key: Option<crate::secret::Secret>,
    /// The state directory of a room running on this machine (when several run)
    #[arg(long, value_name = "DIR", global = true)]
    pub state_dir: Option<std::path::PathBuf>,
    /// Print one snapshot as JSON and exit
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RoomAction {
    /// Move an attendee's account to a new machine: prints a one-time code that joins as NAME
    /// with a new key (the old key stops working then)
    Reissue {
        /// The attendee's name, as they joined
        name: String,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub action: Option<ServeAction>,
    /// Print the demo user's password instead of masking it
    #[arg(long)]
    pub show_password: bool,
    /// Serve a room for a workshop: an account per attendee, created when they join
    #[arg(long)]
    pub room: bool,
    /// The most attendees a room takes
    #[arg(long, value_name = "N", default_value_t = 500, requires = "room")]
    pub max_attendees: usize,
    /// The host attendees reach the room at, when it is not the address it listens on (NAT, a
    /// name): every URL the room hands out uses it
    #[arg(long, value_name = "HOST", requires = "room")]
    pub advertise: Option<String>,
    /// Address of the AWS endpoint; the edge and invoke listeners take the next two ports
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,
    /// Print one JSON object describing the lab as the first line on stdout
    #[arg(long)]
    pub json: bool,
    /// Set the saved lab aside and start as section 5 begins
    #[arg(long)]
    pub fresh: bool,
    /// Where the lab keeps its state [default: walab's data directory]
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Seconds an invalidation stays InProgress before it is Completed
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub invalidation_secs: u64,
    /// Seconds a distribution update stays InProgress before it is Deployed
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub deploy_secs: u64,
}

#[derive(Debug, Subcommand)]
pub enum ServeAction {
    /// Describe the lab a running `walab serve` serves (endpoints, ids, the demo user)
    Info {
        /// Print the same JSON object as `walab serve --json`'s first line
        #[arg(long)]
        json: bool,
        /// Print the demo user's password instead of masking it
        #[arg(long)]
        show_password: bool,
        /// The state directory the lab was started with [default: walab's data directory]
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The URL to GET, e.g. the stack output CloudFrontEndpoint
    pub url: String,
    /// ID token to send as the Authorization header, e.g. "$(walab token)"
    #[arg(value_name = "ID_TOKEN")]
    pub id_token: Option<crate::secret::Secret>,
    /// Exit 1 unless the response has this status (e.g. 401, 200, 403)
    #[arg(long, value_name = "STATUS", value_parser = clap::value_parser!(u16).range(100..=599))]
    pub expect: Option<u16>,
    /// Give up after this many seconds, connecting and reading included
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
}

fn parse_timeout(value: &str) -> Result<Duration, String> {
    let secs: f64 = value.parse().map_err(|_| format!("{value:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("give a number of seconds above 0 and at most 3600".to_string());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `walab check --help`'s list of checks, from the lab model, then the examples.
fn check_help() -> String {
    let checks = crate::guide::Guide::load().map(|g| g.checks_help()).unwrap_or_default();
    format!(
        "{checks}\nExamples:\n  walab check                               every check, on the local lab\n  \
walab check --only unauthenticated-401    one check\n  \
walab check --solve                       do the console steps that are missing, then check again\n  \
walab check --teardown                    after the lab: is everything that costs money deleted?\n  \
walab --target aws check --json           your AWS account, as JSON"
    )
}

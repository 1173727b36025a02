//! Where the lab is: the local lab (embedded, or a `walab serve` already running on the same
//! state) or an AWS account. Either way the result is one `SdkConfig` that feeds every client:
//! there is one code path to AWS, and the local lab is just another endpoint.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use clap::Args;

use crate::locallab::room::api::JoinInfo;
use crate::locallab::{DemoUser, LabError, LabOptions, RunningLab, Timing};
use crate::names::{API_STACK, EDGE_STACK};
use crate::settings::Dirs;
pub use crate::settings::TargetKind;

/// The target flags every lab command takes.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Where the lab runs
    #[arg(long, env = "WALAB_TARGET", value_enum, default_value_t = TargetKind::Local, global = true)]
    pub target: TargetKind,
    /// AWS profile to use with --target aws [default: AWS_PROFILE, else "default"]
    #[arg(long, value_name = "P", global = true)]
    pub profile: Option<String>,
    /// AWS region to use with --target aws [default: from the profile or AWS_REGION]
    #[arg(long, value_name = "R", global = true)]
    pub region: Option<String>,
    /// Name of the section 3 stack (CloudFront, WAF, Cognito)
    #[arg(long, value_name = "NAME", default_value = EDGE_STACK, global = true)]
    pub stack: String,
    /// Name of the section 1 stack (the API)
    #[arg(long, value_name = "NAME", default_value = API_STACK, global = true)]
    pub api_stack: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("the local lab could not start: {0}")]
    Lab(#[from] LabError),
    #[error("no AWS region is configured for profile {profile}")]
    NoRegion { profile: String },
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error("this machine has not joined a room")]
    NotJoined,
    #[error("{var} is {shown}: {reason}")]
    BadEndpoint { var: String, shown: String, reason: &'static str },
    #[error("the AWS region {shown} is not a region name (lowercase letters, digits and hyphens)")]
    BadRegion { shown: String },
}

/// A target that cannot be reached is a configuration error (exit code 2), with its hint.
impl From<TargetError> for crate::report::Failure {
    fn from(e: TargetError) -> Self {
        let hint = e.hint();
        crate::report::Failure::usage(e).maybe_hint(hint)
    }
}

impl TargetError {
    /// What to do about it, in one line.
    pub fn hint(&self) -> Option<String> {
        match self {
            TargetError::NotJoined => {
                Some("join your workshop's room first: walab join SERVER_URL --code CODE --name \"Your Name\"".into())
            }
            TargetError::NoRegion { .. } => {
                Some("pass --region us-east-1 (the lab's region), or set AWS_REGION, or run `aws configure`".into())
            }
            TargetError::BadRegion { .. } => Some(
                "check --region, AWS_REGION, AWS_DEFAULT_REGION and the profile's region (the lab's is us-east-1)"
                    .into(),
            ),
            TargetError::BadEndpoint { var, .. } => Some(format!(
                "set it to the endpoint's URL (e.g. {var}=http://127.0.0.1:4566 for a walab serve), or unset it to use AWS's own"
            )),
            TargetError::Lab(LabError::Busy(_)) => {
                Some("stop the other walab, or give this one its own lab with WALAB_DATA_DIR".into())
            }
            _ => None,
        }
    }
}

/// A connected target: its SDK configuration, a name for its recorded values, and the local
/// lab when this process runs it.
pub struct Target {
    pub kind: TargetKind,
    pub profile: Option<String>,
    pub region: String,
    pub stack: String,
    pub api_stack: String,
    pub sdk: SdkConfig,
    /// The table of recorded values for this target: `local` or `aws:<profile>:<region>`.
    pub values_key: String,
    /// The embedded lab, when this process serves it; stop it with [`Target::close`].
    pub lab: Option<RunningLab>,
    /// The local lab's demo user, who signs in when nobody else is named.
    pub demo_user: Option<DemoUser>,
    /// In a room: the name the attendee joined with.
    pub attendee: Option<String>,
    /// Things to tell the user about which lab this is (another one is being served).
    pub notices: Vec<String>,
}

impl Target {
    pub async fn connect(args: &TargetArgs, dirs: &Dirs) -> Result<Target, TargetError> {
        match args.target {
            TargetKind::Local => connect_local(args, dirs).await,
            TargetKind::Aws => connect_aws(args, dirs).await,
            TargetKind::Room => connect_room(args, dirs).await,
        }
    }

    /// Stops an embedded lab (saving its state).
    pub async fn close(self) -> Result<(), LabError> {
        match self.lab {
            Some(lab) => lab.shutdown().await,
            None => Ok(()),
        }
    }

    /// The AWS endpoint when it is not AWS's own (`AWS_ENDPOINT_URL`, e.g. a `walab serve`).
    pub fn foreign_endpoint(&self) -> Option<String> {
        match self.kind {
            TargetKind::Aws | TargetKind::Room => self.sdk.endpoint_url().map(String::from),
            TargetKind::Local => None,
        }
    }

    /// Where the lab is, without the region (shown beside it).
    pub fn label(&self) -> String {
        match self.kind {
            TargetKind::Local => "local lab".to_string(),
            TargetKind::Aws => format!("aws · profile {}", self.profile.as_deref().unwrap_or("default")),
            TargetKind::Room => format!("room · {}", self.attendee.as_deref().unwrap_or("attendee")),
        }
    }
}

/// The table name of an AWS target's recorded values.
pub fn aws_values_key(profile: Option<&str>, region: &str) -> String {
    format!("aws:{}:{region}", profile.unwrap_or("default"))
}

/// The profile `--target aws` uses: the flag, else `AWS_PROFILE`.
pub fn profile_of(args: &TargetArgs) -> Option<String> {
    args.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
}

/// The region `--target aws` uses: the flag, else the SDK's region chain for the profile.
pub async fn region_of(args: &TargetArgs) -> Option<String> {
    if let Some(region) = &args.region {
        return Some(region.clone());
    }
    let mut chain = aws_config::default_provider::region::DefaultRegionChain::builder();
    if let Some(profile) = profile_of(args) {
        chain = chain.profile_name(&profile);
    }
    chain.build().region().await.map(|r| r.to_string())
}

/// A region as the SDK would use it, refused when it could not be one (`us-east-1\n` from a
/// careless `export`, say): a configuration error, not a raw error from deep in a call.
fn checked_region(region: String) -> Result<String, TargetError> {
    let valid = !region.is_empty()
        && region.len() <= 64
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(region)
    } else {
        Err(TargetError::BadRegion { shown: shown_value(&region.escape_debug().to_string()) })
    }
}

/// The table of recorded values the flags select, without connecting.
pub async fn values_key(args: &TargetArgs) -> Result<String, TargetError> {
    match args.target {
        TargetKind::Local => Ok("local".to_string()),
        TargetKind::Room => Ok(room_values_key(&joined_room(&Dirs::from_env()?)?)),
        TargetKind::Aws => {
            let profile = profile_of(args);
            let region = region_of(args)
                .await
                .ok_or_else(|| TargetError::NoRegion { profile: profile.clone().unwrap_or("default".into()) })?;
            let region = checked_region(region)?;
            Ok(aws_values_key(profile.as_deref(), &region))
        }
    }
}

/// Every `AWS_ENDPOINT_URL*` the SDK would read must be a URL it can use: an empty or
/// malformed one is a configuration error here, not a panic deep inside a call.
pub fn check_endpoint_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<(), TargetError> {
    for (var, value) in vars {
        if !var.starts_with("AWS_ENDPOINT_URL") {
            continue;
        }
        let bad = |reason| TargetError::BadEndpoint { var: var.clone(), shown: shown_value(&value), reason };
        if value.trim().is_empty() {
            return Err(bad("an endpoint URL cannot be empty"));
        }
        let uri: http::Uri = value.trim().parse().map_err(|_| bad("not a URL"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none_or(str::is_empty) {
            return Err(bad("an endpoint URL is http(s)://host[:port]"));
        }
    }
    Ok(())
}

/// A value quoted for an error message, cut short when long.
fn shown_value(value: &str) -> String {
    const SHOWN: usize = 80;
    match value.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("`{}…`", &value[..cut]),
        None => format!("`{value}`"),
    }
}

async fn connect_aws(args: &TargetArgs, dirs: &Dirs) -> Result<Target, TargetError> {
    check_endpoint_env(
        std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned()))),
    )?;
    let profile = profile_of(args);
    let region = region_of(args)
        .await
        .ok_or_else(|| TargetError::NoRegion { profile: profile.clone().unwrap_or("default".into()) })?;
    let region = checked_region(region)?;
    // An endpoint that does not answer fails fast, once, rather than after minutes of retries.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.clone()))
        .timeout_config(crate::aws::sdk_timeouts())
        .retry_config(crate::aws::sdk_retries());
    if let Some(profile) = &profile {
        loader = loader.profile_name(profile);
    }
    let sdk = loader.load().await;
    let mut notices = Vec::new();
    if let (Some(endpoint), Some(served)) = (sdk.endpoint_url(), crate::locallab::served_lab(&dirs.data))
        && endpoint.trim_end_matches('/') != served.aws_endpoint_url.trim_end_matches('/')
    {
        notices.push(format!(
            "using AWS_ENDPOINT_URL={endpoint}; the walab serve running now is at {} (its lab in {})",
            served.aws_endpoint_url,
            served.state_dir.display()
        ));
    }
    Ok(Target {
        notices,
        kind: TargetKind::Aws,
        values_key: aws_values_key(profile.as_deref(), &region),
        profile,
        region,
        stack: args.stack.clone(),
        api_stack: args.api_stack.clone(),
        sdk,
        lab: None,
        demo_user: None,
        attendee: None,
    })
}

/// The table of a room account's recorded values.
fn room_values_key(room: &JoinInfo) -> String {
    format!("room:{}", room.account_id)
}

/// The room this machine joined, as `walab join` recorded it.
pub fn joined_room(dirs: &Dirs) -> Result<JoinInfo, TargetError> {
    let path = dirs.joined_room_file();
    let bytes = match crate::fsutil::read_bounded(&path, crate::fsutil::MAX_OWN_FILE) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(TargetError::NotJoined),
        Err(e) => {
            let reason = e.to_string();
            return Err(TargetError::Settings(crate::settings::SettingsError::Invalid { path, reason }));
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| TargetError::Settings(crate::settings::SettingsError::Invalid { path, reason: e.to_string() }))
}

/// Your account in a room: its endpoint and the credentials the room issued, nothing from the
/// AWS credential chain.
/// On start it asks the room for the account's current URLs (a room restarted on other ports
/// answers its new ones) and records them.
async fn connect_room(args: &TargetArgs, dirs: &Dirs) -> Result<Target, TargetError> {
    joined_room(dirs)?;
    let recorded = crate::attendee::read(dirs).ok_or(TargetError::NotJoined)?;
    let mut notices = Vec::new();
    let room = match crate::attendee::refresh(dirs, recorded).await {
        crate::attendee::Refresh::Current(room) => room.info,
        crate::attendee::Refresh::Updated(room) => {
            notices.push(format!(
                "the room's addresses changed; walab and {} now use the new ones (source it again)",
                crate::attendee::env_file(dirs).display()
            ));
            room.info
        }
        crate::attendee::Refresh::Unreachable(room, reason) => {
            tracing::info!("could not refresh the room's addresses ({reason}); using the recorded ones");
            room.info
        }
    };
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(room.region.clone()))
        .endpoint_url(&room.aws_endpoint_url)
        .timeout_config(crate::aws::sdk_timeouts())
        .retry_config(crate::aws::sdk_retries())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            room.access_key_id.clone(),
            room.secret_access_key.expose().to_string(),
            None,
            None,
            "walab-room",
        )))
        .build();
    Ok(Target {
        kind: TargetKind::Room,
        profile: None,
        attendee: Some(room.name.clone()),
        notices,
        region: room.region.clone(),
        stack: args.stack.clone(),
        api_stack: args.api_stack.clone(),
        sdk,
        values_key: room_values_key(&room),
        lab: None,
        demo_user: Some(room.demo_user),
    })
}

/// How long the embedded lab's slow operations take: the defaults, or `WALAB_INVALIDATION_SECS`
/// and `WALAB_DEPLOY_SECS` (0 makes rehearsals and tests instant).
fn local_timing() -> Timing {
    let secs = |var: &str, default: Duration| {
        std::env::var(var).ok().and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs).unwrap_or(default)
    };
    let default = Timing::default();
    Timing {
        invalidation: secs("WALAB_INVALIDATION_SECS", default.invalidation),
        deploy: secs("WALAB_DEPLOY_SECS", default.deploy),
    }
}

/// How the walkthrough and the lab tools start their own local lab: in walab's data
/// directory, on the ports it had last time when they are free.
pub fn embedded_lab_options(dirs: &Dirs) -> LabOptions {
    let mut options = LabOptions::ephemeral(dirs.lab_dir());
    options.timing = local_timing();
    options.reuse_ports = true;
    options
}

async fn connect_local(args: &TargetArgs, dirs: &Dirs) -> Result<Target, TargetError> {
    let options = embedded_lab_options(dirs);
    let mut notices = Vec::new();
    // A `walab serve` on another state directory is not this lab: say which one is used.
    if let Some(served) = crate::locallab::served_lab(&dirs.data)
        && served.state_dir != dirs.lab_dir()
    {
        notices.push(format!(
            "a walab serve is running at {} with its lab in {}; this uses walab's own lab in {} \
             (for the served one: AWS_ENDPOINT_URL={} walab --target aws)",
            served.aws_endpoint_url,
            served.state_dir.display(),
            dirs.lab_dir().display(),
            served.aws_endpoint_url
        ));
    }
    let (info, lab) = match RunningLab::start(options).await {
        Ok(lab) => match lab.lab.info() {
            Some(info) => (info, Some(lab)),
            None => return Err(LabError::Busy(lab.state_dir.clone()).into()),
        },
        // A `walab serve` (or a walkthrough) already runs this lab: use it rather than fail.
        Err(LabError::Busy(dir)) => match crate::locallab::running_lab(&dir) {
            Some(info) => (info, None),
            None => return Err(LabError::Busy(dir).into()),
        },
        Err(e) => return Err(e.into()),
    };
    let region = crate::names::REGION.to_string();
    Ok(Target {
        kind: TargetKind::Local,
        profile: None,
        sdk: local_sdk_config(&info.aws_endpoint_url, &region),
        region,
        stack: args.stack.clone(),
        api_stack: args.api_stack.clone(),
        values_key: "local".to_string(),
        lab,
        demo_user: Some(info.demo_user),
        attendee: None,
        notices,
    })
}

/// SDK configuration for a local lab: its endpoint, its region, and static credentials
/// (the lab accepts any; nothing reaches for the credential chain or instance metadata).
pub fn local_sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .timeout_config(crate::aws::sdk_timeouts())
        .retry_config(crate::aws::sdk_retries())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDWALABLOCAL",
            "walab-local-lab",
            None,
            None,
            "walab-local-lab",
        )))
        .build()
}

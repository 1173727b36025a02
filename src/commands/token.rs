//! `walab token [USERNAME PASSWORD POOL_ID CLIENT_ID CLIENT_SECRET]`: sign in and print only
//! the ID token on stdout, so `TOKEN=$(walab token)` works; what a person reads goes to stderr.

use crate::report::{errln, outln};
use std::io::IsTerminal;
use std::process::ExitCode;

use serde_json::Value;

use crate::cli::TokenArgs;
use crate::report::{Failure, Paint, and_closed};
use crate::secret::Secret;
use crate::session::{Prompt, Session};
use crate::settings::Field;
use crate::target::TargetArgs;
use crate::token::{SignIn, SignInRequest, decode_unverified, set_new_password, sign_in, sign_in_srp};

pub async fn run(args: TokenArgs, target: &TargetArgs) -> Result<ExitCode, Failure> {
    if !(args.args.is_empty() || args.args.len() == 5) {
        return Err(Failure::usage(format!(
            "walab token takes all five of USERNAME PASSWORD POOL_ID CLIENT_ID CLIENT_SECRET, or none (got {})",
            args.args.len()
        ))
        .hint("with none, it uses the recorded values: walab config show"));
    }
    let positional = args.args.len() == 5;
    if positional {
        for (key, value) in [(Field::UserPoolId, &args.args[2]), (Field::AppClientId, &args.args[3])] {
            key.validate(value)?;
        }
    }
    let prompt = if positional { Prompt::Never } else { Prompt::IfTerminal };
    let session = Session::open(target, prompt).await?;
    let printed = sign_in_and_print(&session, &args.args, args.srp).await.map(|()| ExitCode::SUCCESS);
    and_closed(printed, session.close().await)
}

async fn sign_in_and_print(session: &Session, args: &[String], srp: bool) -> Result<(), Failure> {
    let ctx = &session.ctx;
    let (username, password, pool, client, secret) = if let [user, password, pool, client, secret] = args {
        // As the lab's script takes them; but any user of this machine can read a command line.
        errln!(
            "warning: a password and a client secret given as arguments are visible to other users of this machine \
             (ps, shell history); set WALAB_PASSWORD and record the secret with `walab config set app-client-secret -`, \
             then run walab token with no arguments"
        );
        (user.clone(), Secret::new(password.as_str()), pool.clone(), client.clone(), Some(Secret::new(secret.as_str())))
    } else {
        let failure = |outcome| super::outcome_failure(None, &outcome);
        let (pool, client) = crate::checks::pool_and_client(ctx).await.map_err(failure)?;
        let secret = Some(crate::checks::app_client_secret(ctx).await.map_err(failure)?);
        let Some(username) = ctx.credentials().username else {
            return Err(Failure::failed("no username recorded").hint("walab config set username you@example.com"));
        };
        let Some(password) = ctx.credentials().password else {
            return Err(Failure::failed(format!("no password for {username}"))
                .hint("set WALAB_PASSWORD, or run walab token in a terminal to be asked"));
        };
        (username, password, pool, client, secret)
    };
    let request = SignInRequest {
        pool_id: &pool,
        client_id: &client,
        client_secret: secret.as_ref(),
        username: &username,
        password: &password,
    };
    let mut result = if srp { sign_in_srp(&ctx.aws, &request).await } else { sign_in(&ctx.aws, &request).await };
    if let Ok(SignIn::NewPasswordRequired { session: challenge, .. }) = &result {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::failed(format!("{username} has a temporary password and must choose a new one"))
                .hint("run walab token in a terminal: it asks for the new password"));
        }
        errln!("{username} signed in with a temporary password; choose a new one.");
        let new_password = read_new_password().map_err(Failure::failed)?;
        result = set_new_password(&ctx.aws, &request, challenge, &new_password).await;
    }
    match result {
        Ok(SignIn::Tokens { id_token, expires_in, flow, .. }) => {
            print_token_details(&id_token, &username, expires_in, flow);
            outln!("{}", id_token.expose());
            Ok(())
        }
        Ok(SignIn::NewPasswordRequired { .. }) => {
            Err(Failure::failed("Cognito asked for a new password again").hint("try again with another password"))
        }
        Err(e) => {
            let hint = e.hint();
            Err(Failure::failed(e).hint(hint))
        }
    }
}

fn read_new_password() -> Result<Secret, String> {
    let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
    let second = rpassword::prompt_password("Again: ").map_err(|e| e.to_string())?;
    if first != second {
        return Err("the two passwords differ".into());
    }
    Ok(Secret::new(first))
}

/// Expiry and the claims that matter, for the person (stderr).
fn print_token_details(token: &Secret, username: &str, expires_in: i32, flow: &str) {
    let paint = Paint::for_stderr();
    let Some((_, claims)) = decode_unverified(token.expose()) else { return };
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or_default();
    let expires = aws_smithy_types::DateTime::from_secs(exp)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    errln!("ID token for {username} ({flow}), expires {expires} (in {} min)", (expires_in.max(0) + 59) / 60);
    for claim in ["iss", "aud", "token_use", "sub", "email", "cognito:username"] {
        if let Some(value) = claims.get(claim) {
            let value = value.as_str().map(String::from).unwrap_or_else(|| value.to_string());
            errln!("  {} {value}", paint.dim(&format!("{claim:<17}")));
        }
    }
}

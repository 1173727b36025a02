//! The lab model's judgements: for each check, a pure function from what was gathered to an
//! outcome. walab gathers through the SDK (the other modules of `checks`), a room from an
//! account's own state (`locallab::room::api`); both judge here, so the walkthrough, `walab
//! check` and the instructor's dashboard cannot disagree about the same lab. [`settle`] then
//! puts a check's diagnosis in the lab's causal order: a check whose needs are not met names
//! the first of them, never a fix that cannot help yet.

use std::collections::BTreeMap;

use aws_smithy_types::DateTime;

use super::evidence::{AuthorizerSeen, InvalidationSeen, Response, SecretSource};
use super::{Evidence, Found, Hint, Outcome, Remedy, Status};
use crate::aws::cloudfront::{Forwarding, Invalidation};
use crate::guide::{CheckId, Guide, SolveAction};
use crate::names::{API_NAME, COGNITO_USER_POOLS, STAGE, TOKEN_SOURCE, output};
use crate::probe::{Diagnosis, ProbeResponse, diagnose};
use crate::secret::Secret;
use crate::settings::{Field, Values};

/// One of the lab's stacks as gathered: `status` is `None` when there is no such stack.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackSeen {
    pub name: String,
    pub status: Option<String>,
    pub outputs: BTreeMap<String, String>,
}

/// 5.2: both stacks exist, finished deploying, and carry the four values, well-formed.
pub fn stack_outputs(region: &str, edge: &StackSeen, api: &StackSeen, recorded: &Values) -> Outcome {
    let stacks = BTreeMap::from([(edge.name.clone(), edge.status.clone()), (api.name.clone(), api.status.clone())]);
    let mut outputs = BTreeMap::new();
    for (stack, key) in [
        (edge, output::USER_POOL_ID),
        (edge, output::APP_CLIENT_ID),
        (edge, output::CLOUDFRONT_ENDPOINT),
        (api, output::API_GATEWAY_URL),
    ] {
        if let Some(value) = stack.outputs.get(key) {
            outputs.insert(key.to_string(), value.clone());
        }
    }
    let evidence = Evidence::Stacks { stacks, outputs: outputs.clone() };
    if let Some(missing) = [edge, api].into_iter().find(|s| s.status.is_none()) {
        return Outcome::failed(
            format!("no stack {} in {region}", missing.name),
            "deploy it (sections 1 and 3), or name yours with --stack/--api-stack, or pick the region with --region",
        )
        .with_evidence(evidence);
    }
    for stack in [edge, api] {
        let status = stack.status.as_deref().unwrap_or("UNKNOWN");
        if !status.ends_with("_COMPLETE") || status.contains("ROLLBACK") || status.starts_with("DELETE") {
            return Outcome::failed(
                format!("stack {} is {status}", stack.name),
                "wait until it is CREATE_COMPLETE or UPDATE_COMPLETE; if it rolled back, deploy it again",
            )
            .with_evidence(evidence);
        }
    }
    let wanted = [
        (output::USER_POOL_ID, Field::UserPoolId),
        (output::APP_CLIENT_ID, Field::AppClientId),
        (output::CLOUDFRONT_ENDPOINT, Field::CloudFrontEndpoint),
        (output::API_GATEWAY_URL, Field::ApiGatewayUrl),
    ];
    let mut problems = Vec::new();
    let mut found = Vec::new();
    for (key, field) in wanted {
        match outputs.get(key) {
            None => problems.push(format!("output {key} is missing")),
            Some(value) => match field.validate(value) {
                Ok(valid) => found.push((field, valid)),
                Err(e) => problems.push(e.to_string()),
            },
        }
    }
    if !problems.is_empty() {
        return Outcome::failed(
            problems.join("; "),
            "the stacks are not the lab's, or were changed: check --stack and --api-stack",
        )
        .with_evidence(evidence);
    }
    let new: Vec<&str> =
        found.iter().filter(|(f, v)| recorded.get(*f) != Some(v.as_str())).map(|(f, _)| f.name()).collect();
    let summary = if new.is_empty() {
        "both stacks found; the four values are recorded".to_string()
    } else {
        format!("both stacks found; recorded {}", new.join(", "))
    };
    Outcome::passed(summary).with_evidence(evidence).with_found(Found::Outputs(found))
}

/// What walab could read of the app client's secret.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretRead {
    /// The app client, read: its secret, if it has one.
    Client(Option<Secret>),
    /// The caller may not read the app client (DescribeUserPoolClient refused).
    NotAllowed,
}

/// 5.2: the app client secret is recorded and is the client's own.
pub fn client_secret(client: &str, read: &SecretRead, recorded: Option<&Secret>) -> Outcome {
    match (read, recorded) {
        (SecretRead::Client(Some(secret)), recorded) => {
            let evidence =
                Evidence::ClientSecret { secret: secret.masked(), source: SecretSource::DescribeUserPoolClient };
            let summary = match recorded {
                Some(r) if r == secret => "recorded, and it is the app client's".to_string(),
                Some(_) => "the recorded secret was not this client's; recorded the app client's own".to_string(),
                None => "read from the app client and recorded".to_string(),
            };
            Outcome::passed(summary).with_evidence(evidence).with_found(Found::ClientSecret(secret.clone()))
        }
        (SecretRead::Client(None), _) => Outcome::failed(
            format!("app client {client} has no secret"),
            "the lab's app client has one: is CognitoAppClientID the lab's client?",
        ),
        (SecretRead::NotAllowed, Some(secret)) => {
            Outcome::passed(format!("recorded ({}); walab may not read the app client to compare", secret.masked()))
                .with_evidence(Evidence::ClientSecret { secret: secret.masked(), source: SecretSource::Recorded })
        }
        (SecretRead::NotAllowed, None) => Outcome::failed(
            "not recorded, and your AWS identity may not read it from the app client",
            Hint::new("copy it from the console (App clients → Show details) and record it")
                .by(Remedy::Record(Field::AppClientSecret)),
        ),
    }
}

/// A user of the pool as gathered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSeen {
    pub status: String,
    pub enabled: bool,
}

pub fn record_username() -> Hint {
    Hint::new("record the email you signed up with").by(Remedy::Record(Field::Username))
}

/// 5.2: the learner's user exists and is CONFIRMED.
pub fn user_confirmed(pool: &str, username: Option<&str>, user: Option<&UserSeen>) -> Outcome {
    let Some(username) = username else {
        return Outcome::failed("no username recorded", record_username());
    };
    let Some(user) = user else {
        return Outcome::failed(
            format!("no user {username} in pool {pool}"),
            Hint::new("record the username you signed up with, or sign up with the CognitoSignupURL link")
                .by(Remedy::Solve(SolveAction::SignUp)),
        );
    };
    let evidence =
        Evidence::User { username: username.to_string(), status: user.status.clone(), enabled: user.enabled };
    let outcome = if !user.enabled {
        Outcome::failed(format!("{username} is disabled"), "enable the user in the Cognito console")
    } else {
        match user.status.as_str() {
            "CONFIRMED" => Outcome::passed(format!("{username} is CONFIRMED")),
            "UNCONFIRMED" => Outcome::failed(
                format!("{username} signed up but has not confirmed"),
                Hint::new("open the link in the confirmation email, or on the local lab let walab confirm it")
                    .by(Remedy::Solve(SolveAction::SignUp)),
            ),
            "FORCE_CHANGE_PASSWORD" => Outcome::failed(
                format!("{username} still has a temporary password"),
                Hint::new("sign in once to choose a new password").by(Remedy::GetToken),
            ),
            other => Outcome::failed(
                format!("{username} is {other}"),
                "the user must be CONFIRMED; check it in the Cognito console",
            ),
        }
    };
    outcome.with_evidence(evidence)
}

/// Whether an authorizer reads the token from the `Authorization` header (header names are
/// case-insensitive, in the identity source as on the wire).
pub fn reads_authorization(identity_source: Option<&str>) -> bool {
    let prefix = "method.request.header.";
    identity_source
        .and_then(|s| s.strip_prefix(prefix))
        .is_some_and(|header| header.eq_ignore_ascii_case("authorization"))
}

fn is_cognito_for(authorizer: &AuthorizerSeen, pool: &str) -> bool {
    authorizer.kind.as_deref() == Some(COGNITO_USER_POOLS) && authorizer.pools.iter().any(|p| p == pool)
}

/// The lab's authorizer among `authorizers`: Cognito, for `pool`, reading `Authorization`.
pub fn lab_authorizer<'a>(authorizers: &'a [AuthorizerSeen], pool: &str) -> Option<&'a AuthorizerSeen> {
    authorizers.iter().find(|a| is_cognito_for(a, pool) && reads_authorization(a.identity_source.as_deref()))
}

/// 5.3: the API has a Cognito authorizer for the lab's pool reading `Authorization`.
pub fn authorizer_created(api: &str, pool: &str, authorizers: &[AuthorizerSeen]) -> Outcome {
    let evidence = Evidence::Authorizers { api: api.to_string(), authorizers: authorizers.to_vec() };
    let name = |a: &AuthorizerSeen| a.name.clone().unwrap_or_else(|| "?".into());
    let create = |text: &str| Hint::new(text).by(Remedy::Solve(SolveAction::CreateAuthorizer));
    let outcome = if let Some(found) = lab_authorizer(authorizers, pool) {
        Outcome::passed(format!("authorizer {} checks ID tokens from the lab's pool", name(found)))
    } else if let Some(other) = authorizers.iter().find(|a| is_cognito_for(a, pool)) {
        Outcome::failed(
            format!(
                "authorizer {} reads the token from {}",
                name(other),
                other.identity_source.as_deref().unwrap_or("nowhere")
            ),
            create(&format!("its token source must be the Authorization header ({TOKEN_SOURCE})")),
        )
    } else if let Some(other) = authorizers.iter().find(|a| a.kind.as_deref() == Some(COGNITO_USER_POOLS)) {
        Outcome::failed(
            format!("authorizer {} is for another user pool, not {pool}", name(other)),
            create("create one for the lab's pool"),
        )
    } else {
        Outcome::failed(
            format!("{API_NAME} has no Cognito authorizer"),
            create("create one of type Cognito for the lab's pool, token source Authorization"),
        )
    };
    outcome.with_evidence(evidence)
}

/// `GET /` as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSeen {
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
}

/// 5.3: `GET /` uses the lab's authorizer.
pub fn method_protected(method: Option<&MethodSeen>, pool: &str, authorizers: &[AuthorizerSeen]) -> Outcome {
    let Some(method) = method else {
        return Outcome::failed(format!("{API_NAME} has no GET / method"), "the API is not the lab's");
    };
    let evidence = Evidence::Method {
        method: "GET /".into(),
        authorization_type: method.authorization_type.clone(),
        authorizer_id: method.authorizer_id.clone(),
    };
    let outcome = if method.authorization_type != COGNITO_USER_POOLS {
        Outcome::failed(
            format!("GET / uses authorization {}", method.authorization_type),
            Hint::new("choose the Cognito authorizer under Method Request → Authorization")
                .by(Remedy::Solve(SolveAction::ProtectMethod)),
        )
    } else {
        match lab_authorizer(authorizers, pool) {
            Some(lab) if lab.id == method.authorizer_id => {
                Outcome::passed(format!("GET / uses authorizer {}", lab.name.as_deref().unwrap_or("?")))
            }
            Some(lab) => Outcome::failed(
                "GET / uses a different Cognito authorizer",
                Hint::new(format!(
                    "choose {} under Method Request → Authorization",
                    lab.name.as_deref().unwrap_or("the lab's")
                ))
                .by(Remedy::Solve(SolveAction::ProtectMethod)),
            ),
            None => Outcome::failed(
                "GET / uses a Cognito authorizer, but not one for the lab's pool",
                Hint::new("create one for the lab's pool").by(Remedy::Solve(SolveAction::CreateAuthorizer)),
            ),
        }
    };
    outcome.with_evidence(evidence)
}

/// What stage `Dev` serves for `GET /`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedSeen {
    pub deployment_id: String,
    /// `authorizationType` of `GET /` in that deployment; `None` when the method is absent.
    pub authorization: Option<String>,
    pub deployed_at: Option<String>,
}

/// 5.3: stage `Dev` serves `GET /` with the Cognito authorizer. `None`: no stage `Dev`.
pub fn api_deployed(deployed: Option<&DeployedSeen>) -> Outcome {
    let Some(deployed) = deployed else {
        return Outcome::failed(
            format!("{API_NAME} has no stage {STAGE}"),
            Hint::new("deploy the API to a new stage named Dev").by(Remedy::Solve(SolveAction::DeployApi)),
        );
    };
    let authorization = deployed.authorization.clone().unwrap_or_else(|| "absent".into());
    let evidence = Evidence::Deployment {
        stage: STAGE.into(),
        deployment_id: deployed.deployment_id.clone(),
        deployed_at: deployed.deployed_at.clone(),
        get: authorization.clone(),
    };
    let outcome = if authorization == COGNITO_USER_POOLS {
        Outcome::passed(format!("stage {STAGE} serves GET / with the Cognito authorizer"))
    } else {
        Outcome::failed(
            format!("stage {STAGE} still serves GET / with authorization {authorization}"),
            Hint::new("changes take effect only when deployed: Deploy API → Dev")
                .by(Remedy::Solve(SolveAction::DeployApi)),
        )
    };
    outcome.with_evidence(evidence)
}

/// The lab's distribution as gathered: its id, deployment status and how its default behaviour
/// treats `Authorization`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionSeen {
    pub id: String,
    pub status: String,
    pub forwarding: Forwarding,
    /// When its configuration last changed.
    pub changed: DateTime,
}

pub fn forwarding_summary(forwarding: &Forwarding) -> String {
    match forwarding {
        Forwarding::LegacyHeader => "Authorization is a forwarded header (legacy cache settings)".into(),
        Forwarding::CachePolicy(id) => format!("cache policy {id} includes Authorization"),
        Forwarding::AllViewer => "the AllViewer origin request policy forwards every header".into(),
        Forwarding::No { how } => how.clone(),
    }
}

pub fn forward_header() -> Hint {
    Hint::new("add Authorization to the default behaviour's headers").by(Remedy::Solve(SolveAction::ForwardHeader))
}

/// 5.4: the default behaviour forwards `Authorization`, and the change is deployed.
pub fn header_forwarded(dist: &DistributionSeen) -> Outcome {
    let how = forwarding_summary(&dist.forwarding);
    let evidence = |forwarding: Option<&str>| Evidence::Distribution {
        distribution: dist.id.clone(),
        status: dist.status.clone(),
        forwarding: forwarding.map(String::from),
    };
    if !dist.forwarding.forwards() {
        return Outcome::failed(format!("CloudFront does not forward Authorization: {how}"), forward_header())
            .with_evidence(evidence(None));
    }
    if dist.status != "Deployed" {
        return Outcome::failed(
            format!("{how}, but the distribution is still {}", dist.status),
            "CloudFront is still deploying the change; check again in a few minutes",
        )
        .with_evidence(evidence(Some(&how)));
    }
    Outcome::passed(format!("{how}; the distribution is Deployed")).with_evidence(evidence(Some(&how)))
}

/// True when an invalidation path covers the lab's `/?id=1` (CloudFront ignores query strings
/// when invalidating, and `*` may end a path).
pub fn covers_lab_path(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    match path.strip_suffix('*') {
        Some(prefix) => "/".starts_with(prefix),
        None => path == "/",
    }
}

/// The invalidation that counts: the newest covering `/?id=1` created since the change.
pub fn relevant_invalidation<'a>(changed: &DateTime, invalidations: &'a [Invalidation]) -> Option<&'a Invalidation> {
    invalidations
        .iter()
        .filter(|i| i.created.secs() >= changed.secs() && i.paths.iter().any(|p| covers_lab_path(p)))
        .max_by_key(|i| i.created.secs())
}

/// 5.4: an invalidation covering `/?id=1` was created after the behaviour changed and completed.
pub fn cache_invalidated(dist: &DistributionSeen, invalidations: &[Invalidation]) -> Outcome {
    let evidence = Evidence::Invalidations {
        distribution: dist.id.clone(),
        behaviour_changed: dist.changed.to_string(),
        invalidations: invalidations.iter().map(InvalidationSeen::of).collect(),
    };
    let outcome = match relevant_invalidation(&dist.changed, invalidations) {
        None => Outcome::failed(
            format!("no invalidation covering /?id=1 since the behaviour changed at {}", dist.changed),
            Hint::new("CloudFront still holds the 200s it cached before: invalidate /*")
                .by(Remedy::Solve(SolveAction::InvalidateCache)),
        ),
        Some(done) if done.completed() => {
            Outcome::passed(format!("invalidation {} of /* completed after the change", done.id))
        }
        Some(going) => Outcome::failed(
            format!("invalidation {} is still {}", going.id, going.status),
            "invalidations take a minute or two; check again shortly",
        ),
    };
    outcome.with_evidence(evidence)
}

/// The `message` of a JSON error body.
fn message(response: &ProbeResponse) -> String {
    response
        .body_text()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|v| v.get("message").and_then(serde_json::Value::as_str).map(String::from))
        .unwrap_or_default()
}

fn has_data(response: &ProbeResponse) -> bool {
    response
        .body_text()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|v| v.as_array().map(|a| !a.is_empty()))
        .unwrap_or(false)
}

/// The answers no check expects: a 403, or a 400 from the validator.
fn refused(response: &ProbeResponse, expected: u16) -> Outcome {
    match diagnose(response) {
        Diagnosis::NoSuchPath => Outcome::failed(
            "403 Missing Authentication Token: the stage has no such path",
            "the URL must end in /?id=1 on stage Dev (check the recorded CloudFront endpoint)",
        ),
        Diagnosis::Forbidden | Diagnosis::Denied => Outcome::failed(
            "403 Forbidden from WAF: the request did not carry CloudFront's origin header",
            "section 3 adds the X-Origin-Verify custom header to the distribution's origin; finish it first",
        ),
        Diagnosis::MissingId => Outcome::failed(
            "400: the API did not get ?id=, so CloudFront is not passing the query string on",
            "the behaviour must forward query strings (a cache policy with query strings: All), and the URL must end in ?id=1",
        ),
        _ if response.status >= 500 => Outcome::error(
            format!("{} {}: the endpoint failed (expected {expected})", response.status, response.reason),
            "a server error is the service's, not your lab's: try again in a minute",
        ),
        _ => Outcome::failed(
            format!("{} {}: expected {expected}", response.status, response.reason),
            "look at the body in the evidence; the API or CloudFront is failing",
        ),
    }
}

fn with_response(outcome: Outcome, response: &ProbeResponse) -> Outcome {
    outcome.with_evidence(Evidence::Response(Box::new(Response::of(response))))
}

/// 5.5: the CloudFront endpoint without a token answers 401.
pub fn unauthenticated_401(response: &ProbeResponse) -> Outcome {
    let outcome = match (response.status, diagnose(response)) {
        (401, _) => Outcome::passed(format!("401 {}: the API wants a token", message(response))),
        (200, Diagnosis::Cached) => Outcome::failed(
            "200 served from CloudFront's cache: an answer cached before the API was protected",
            Hint::new("invalidate /* so CloudFront drops it").by(Remedy::Solve(SolveAction::InvalidateCache)),
        ),
        (200, _) => Outcome::failed(
            "200 from the API itself: stage Dev does not ask for a token",
            Hint::new("protect GET / with the Cognito authorizer and deploy to Dev")
                .by(Remedy::Solve(SolveAction::DeployApi)),
        ),
        _ => refused(response, 401),
    };
    with_response(outcome, response)
}

/// 5.5: the ID token was obtained and verified.
pub fn id_token(username: &str, seconds_left: i64, evidence: Evidence) -> Outcome {
    let minutes = seconds_left.max(0) / 60;
    Outcome::passed(format!("ID token for {username} verified; valid for {minutes} more minutes"))
        .with_evidence(evidence)
}

/// 5.5: the CloudFront endpoint with the ID token answers 200 with data.
pub fn authenticated_200(response: &ProbeResponse) -> Outcome {
    let outcome = match (response.status, diagnose(response)) {
        (200, _) if has_data(response) => Outcome::passed(format!(
            "200 with data ({}): the token was accepted",
            response.cache_status().map(|c| c.to_string()).unwrap_or_else(|| "no X-Cache".into())
        )),
        (200, _) => Outcome::failed(
            "200, but without the players' data",
            "look at the body in the evidence: the API's function may be failing",
        ),
        (401, Diagnosis::TokenExpired) => {
            Outcome::failed("401: the token has expired", Hint::new("get a new token").by(Remedy::GetToken))
        }
        (401, _) => Outcome::failed(
            "401 with a valid, fresh token: the API never saw it, or does not accept it",
            forward_header(),
        ),
        (403 | 400, _) | (500.., _) => refused(response, 200),
        (status, _) => {
            Outcome::failed(format!("{status} {}: expected 200", response.reason), "look at the body in the evidence")
        }
    };
    with_response(outcome, response)
}

/// 5.5: the API Gateway URL, called directly, is refused by WAF.
pub fn direct_api_blocked(response: &ProbeResponse) -> Outcome {
    let waf = "the regional web ACL with the origin-header rule must be on stage Dev (section 3)";
    let outcome = match response.status {
        403 => Outcome::passed("403 Forbidden: WAF lets only CloudFront through, token or not"),
        200 => Outcome::failed("200: the API Gateway URL answers directly, so CloudFront can be bypassed", waf),
        401 => {
            Outcome::failed("401 from the authorizer: WAF let a request through that did not come from CloudFront", waf)
        }
        500.. => refused(response, 403),
        status => Outcome::failed(format!("{status} {}: expected 403 from WAF", response.reason), "see the evidence"),
    };
    with_response(outcome, response)
}

/// Everything a room gathers of one account, in the lab model's terms, for [`crate::checks::judge_gathered`].
pub struct Gathered {
    pub region: String,
    pub edge: StackSeen,
    pub api: StackSeen,
    pub pool: String,
    pub client: String,
    pub secret: SecretRead,
    pub username: String,
    pub user: Option<UserSeen>,
    pub api_id: Option<String>,
    pub authorizers: Vec<AuthorizerSeen>,
    pub method: Option<MethodSeen>,
    pub deployed: Option<DeployedSeen>,
    pub distribution: Option<(DistributionSeen, Vec<Invalidation>)>,
    pub token_issued: bool,
    /// The values an attendee's walab records from the stacks (it records them on its first run).
    pub recorded: Values,
    /// The last answers to section 5.5's requests: without a token, with one, to the API's URL.
    pub anonymous: Option<ProbeResponse>,
    pub with_token: Option<ProbeResponse>,
    pub direct: Option<ProbeResponse>,
}

/// Puts a check's outcome in the lab's causal order, given the settled outcomes of the checks
/// before it (`earlier`): when a check on its path has not passed, the first of them (in lab
/// order) is what to do now, so the hint becomes that check's and the summary says why; and a
/// pass counts only once its needs are met. An `error` (walab could not find out) is left as it
/// is, and so is a check whose needs all passed. Checks not run are not held against it.
pub fn settle(
    id: CheckId,
    mut outcome: Outcome,
    guide: &Guide,
    earlier: &dyn Fn(CheckId) -> Option<Outcome>,
) -> Outcome {
    if outcome.status == Status::Error || id.is_by_hand() {
        return outcome;
    }
    let first_unmet =
        id.path().into_iter().find_map(|need| earlier(need).filter(|o| o.status != Status::Passed).map(|o| (need, o)));
    let Some((need, upstream)) = first_unmet else {
        return outcome;
    };
    let step = need.step();
    let title = &guide.check_text(need).title;
    if upstream.status == Status::Error {
        outcome.status = Status::Error;
        outcome.summary = format!("{}; walab could not check {need} first: {}", outcome.summary, upstream.summary);
        outcome.hint = upstream.hint;
        return outcome;
    }
    let why = format!("{need} ({title}) is not done yet: {}", upstream.summary);
    if outcome.status == Status::Passed {
        outcome.summary = format!("{}, but this proves nothing until {step} is done: {why}", outcome.summary);
    } else {
        outcome.summary = format!("{}; start with {step}: {why}", outcome.summary);
    }
    outcome.status = Status::Failed;
    let text = guide.check_text(need);
    let first =
        upstream.hint.filter(|h| h.action.is_some()).unwrap_or(Hint { text: text.hint.clone(), action: text.action });
    outcome.hint = Some(Hint { text: format!("{step} first ({title}): {}", first.text), action: first.action });
    outcome.found = None;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_cover_the_lab_path() {
        for path in ["/*", "/", "/?id=1", "*", "/?*"] {
            assert!(covers_lab_path(path), "{path}");
        }
        for path in ["/images/*", "/index.html", "/a"] {
            assert!(!covers_lab_path(path), "{path}");
        }
    }

    #[test]
    fn the_token_source_is_the_authorization_header_in_any_case() {
        for source in [TOKEN_SOURCE, "method.request.header.authorization", "method.request.header.AUTHORIZATION"] {
            assert!(reads_authorization(Some(source)), "{source}");
        }
        for source in ["method.request.header.X-Token", "method.request.querystring.Authorization", "Authorization"] {
            assert!(!reads_authorization(Some(source)), "{source}");
        }
        assert!(!reads_authorization(None));
    }

    #[test]
    fn a_check_whose_needs_fail_names_the_first_unmet_step() {
        let guide = Guide::load().unwrap();
        let no_authorizer = Outcome::failed(
            "wa-lab-rds-api has no Cognito authorizer",
            Hint::new("create one").by(Remedy::Solve(SolveAction::CreateAuthorizer)),
        );
        let earlier = |id: CheckId| match id {
            CheckId::AuthorizerCreated => Some(no_authorizer.clone()),
            CheckId::StackOutputs => Some(Outcome::passed("both stacks found")),
            _ => Some(Outcome::failed("not yet", "later")),
        };
        let cached = Outcome::failed(
            "200 served from CloudFront's cache",
            Hint::new("invalidate").by(Remedy::Solve(SolveAction::InvalidateCache)),
        );
        let settled = settle(CheckId::Unauthenticated401, cached, &guide, &earlier);
        assert_eq!(settled.status, Status::Failed);
        assert_eq!(settled.hint.unwrap().action, Some(Remedy::Solve(SolveAction::CreateAuthorizer)));
        assert!(settled.summary.contains("start with 5.3"), "{}", settled.summary);
        let passed = settle(CheckId::Authenticated200, Outcome::passed("200 with data"), &guide, &earlier);
        assert_eq!(passed.status, Status::Failed, "a pass counts only once its needs are met");
        let error = Outcome::error("HTTP 500 from the endpoint", "try again");
        assert_eq!(settle(CheckId::MethodProtected, error.clone(), &guide, &earlier), error);
        let all_passed = |_: CheckId| Some(Outcome::passed("ok"));
        let own = Outcome::failed("mine", "my own fix");
        assert_eq!(settle(CheckId::ApiDeployed, own.clone(), &guide, &all_passed), own);
    }
}

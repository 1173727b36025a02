//! How a room judges an attendee's lab: it gathers from the account's own state what walab
//! gathers through the SDK (the stacks, the app client, the user, the authorizers, the method,
//! the deployment, the distribution and its invalidations) and the last answers the account's
//! endpoints gave to section 5.5's requests, and judges them with the lab model's own
//! judgements (`checks::judge`), settled in the same causal order. So the instructor's
//! dashboard and the attendee's `walab check` cannot disagree about the same configuration.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_smithy_types::DateTime;

use crate::aws::cloudfront::{Forwarding, Invalidation};
use crate::checks::Outcome;
use crate::checks::judge::{self, DistributionSeen, Gathered, SecretRead, StackSeen, UserSeen};
use crate::guide::{CheckId, Guide};
use crate::locallab::account::Account;
use crate::locallab::machinery::clock::Millis;
use crate::locallab::room::progress::{Answer, Probe, Seen};
use crate::locallab::{apigateway, cloudfront, cognito};
use crate::names::{API_STACK, EDGE_STACK, STAGE};
use crate::probe::{ProbeResponse, ResponseHeaders};
use crate::settings::{Field, Values};

/// Each of section 5's checks as the room judges it now; `None` where the room has nothing to
/// judge yet (a request the attendee has not made, a token not issued).
pub fn judge_account(account: &Account, guide: &Guide) -> Vec<(CheckId, Option<Outcome>)> {
    let gathered = gather(account);
    let mut settled: BTreeMap<CheckId, Outcome> = BTreeMap::new();
    CheckId::ALL
        .into_iter()
        .map(|id| {
            let outcome = crate::checks::judge_gathered(id, &gathered).map(|outcome| {
                let outcome = judge::settle(id, outcome, guide, &|need| settled.get(&need).cloned());
                settled.insert(id, outcome.clone());
                outcome
            });
            (id, outcome)
        })
        .collect()
}

fn date(ms: Millis) -> DateTime {
    DateTime::from_millis(ms)
}

/// What the room knows of one account, in the lab model's terms.
fn gather(account: &Account) -> Gathered {
    let now = account.ctx.now_ms();
    let stack = |name: &str| {
        let exists = account.stacks.read(|s| s.stacks.values().any(|st| st.name == name && !st.is_deleted(now)));
        StackSeen {
            name: name.to_string(),
            status: exists.then(|| "CREATE_COMPLETE".to_string()),
            outputs: if exists {
                account.outputs(name).into_iter().map(|o| (o.key.to_string(), o.value)).collect()
            } else {
                BTreeMap::new()
            },
        }
    };
    let identity = cognito::lab_identity(&account.cognito);
    let pool = identity.as_ref().map(|i| i.pool_id.clone()).unwrap_or_default();
    let client = identity.as_ref().map(|i| i.client_id.clone()).unwrap_or_default();
    let username = identity.as_ref().map(|i| i.demo_username.clone()).unwrap_or_default();
    let (secret, user) = account.cognito.read(|s| {
        let secret = s.client(&client).map(|c| c.secret.clone()).unwrap_or(None);
        let user = s
            .find_user(&pool, &username)
            .map(|u| UserSeen { status: u.status.as_str().to_string(), enabled: u.enabled });
        (SecretRead::Client(secret), user)
    });
    let api = apigateway::lab_view(&account.apigateway, STAGE);
    let distribution = lab_distribution(account);
    let observed = account.progress.read(|p| p.observed());
    let (edge, api_stack) = (stack(EDGE_STACK), stack(API_STACK));
    let config = fingerprint(&api, &distribution);
    Gathered {
        region: account.ctx.region.clone(),
        pool,
        client,
        secret,
        username,
        user,
        api_id: api.as_ref().map(|a| a.api_id.clone()),
        authorizers: api.as_ref().map(|a| a.authorizers.clone()).unwrap_or_default(),
        method: api.as_ref().and_then(|a| a.method.clone()),
        deployed: api.and_then(|a| a.deployed),
        distribution,
        token_issued: observed.first.contains_key(&Seen::IdTokenIssued),
        recorded: recorded(&edge, &api_stack),
        anonymous: answer_that_counts(&observed, Probe::Anonymous, config),
        with_token: answer_that_counts(&observed, Probe::WithToken, config),
        direct: answer_that_counts(&observed, Probe::Direct, config),
        edge,
        api: api_stack,
    }
}

/// The lab's distribution and its invalidations, in the lab model's terms.
fn lab_distribution(account: &Account) -> Option<(DistributionSeen, Vec<Invalidation>)> {
    cloudfront::lab_distribution(&account.ctx, &account.cloudfront, &account.api_domain()).map(|d| {
        let seen = DistributionSeen {
            id: d.id.clone(),
            status: if d.deployed { "Deployed" } else { "InProgress" }.to_string(),
            forwarding: if d.forwards_authorization {
                Forwarding::LegacyHeader
            } else {
                Forwarding::No { how: "the default behaviour does not forward Authorization".into() }
            },
            changed: date(d.last_modified),
        };
        let invalidations = d
            .invalidations
            .into_iter()
            .map(|(id, paths, created, done)| Invalidation {
                id,
                status: if done { "Completed" } else { "InProgress" }.to_string(),
                created: date(created),
                paths,
            })
            .collect();
        (seen, invalidations)
    })
}

/// What the account's configuration is, as a number: a pass stays a pass until it changes.
fn fingerprint(
    api: &Option<apigateway::LabApiView>,
    distribution: &Option<(DistributionSeen, Vec<Invalidation>)>,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    if let Some(api) = api {
        format!("{:?}{:?}{:?}", api.authorizers, api.method, api.deployed).hash(&mut hasher);
    }
    if let Some((dist, invalidations)) = distribution {
        format!("{dist:?}").hash(&mut hasher);
        invalidations.iter().map(|i| (&i.id, &i.status)).collect::<Vec<_>>().hash(&mut hasher);
    }
    hasher.finish()
}

/// The answer to judge for `probe`: the last one, unless it does not pass while one that passed
/// under the account's present configuration is kept. Requests from anyone reach the account's
/// edge; only a change of the attendee's own configuration can turn a pass back.
fn answer_that_counts(
    observed: &crate::locallab::room::progress::Observed,
    probe: Probe,
    config: u64,
) -> Option<ProbeResponse> {
    let last = observed.answers.get(&probe).map(as_response)?;
    if judge_probe(probe, &last).status == crate::checks::Status::Passed {
        return Some(last);
    }
    match observed.passing.get(&probe) {
        Some((answer, under)) if *under == config => Some(as_response(answer)),
        _ => Some(last),
    }
}

fn judge_probe(probe: Probe, response: &ProbeResponse) -> Outcome {
    match probe {
        Probe::Anonymous => judge::unauthenticated_401(response),
        Probe::WithToken => judge::authenticated_200(response),
        Probe::Direct => judge::direct_api_blocked(response),
    }
}

/// When `answer` to `probe` passes its check: the configuration it passed under.
pub fn passes(account: &Account, probe: Probe, answer: &Answer) -> Option<u64> {
    if judge_probe(probe, &as_response(answer)).status != crate::checks::Status::Passed {
        return None;
    }
    let api = apigateway::lab_view(&account.apigateway, STAGE);
    Some(fingerprint(&api, &lab_distribution(account)))
}

/// The values an attendee's walab records from the stacks (it records them on its first run).
fn recorded(edge: &StackSeen, api: &StackSeen) -> Values {
    let mut values = Values::default();
    for (key, field) in [
        (crate::names::output::USER_POOL_ID, Field::UserPoolId),
        (crate::names::output::APP_CLIENT_ID, Field::AppClientId),
        (crate::names::output::CLOUDFRONT_ENDPOINT, Field::CloudFrontEndpoint),
    ] {
        values.set(field, edge.outputs.get(key).cloned());
    }
    values.set(Field::ApiGatewayUrl, api.outputs.get(crate::names::output::API_GATEWAY_URL).cloned());
    values
}

/// An answer the room kept, as a probe would have read it.
fn as_response(answer: &Answer) -> ProbeResponse {
    let status = http::StatusCode::from_u16(answer.status).ok();
    ProbeResponse {
        url: String::new(),
        status: answer.status,
        reason: status.and_then(|s| s.canonical_reason()).unwrap_or_default().to_string(),
        latency: Duration::ZERO,
        headers: ResponseHeaders {
            x_cache: answer.x_cache.clone(),
            x_amzn_error_type: answer.error_type.clone(),
            ..ResponseHeaders::default()
        },
        content_length: Some(answer.body.len() as u64),
        body: answer.body.clone().into_bytes(),
        body_cut: None,
        token_sent: false,
    }
}

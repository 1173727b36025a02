//! The twelve checks on the local lab, driven through section 5 by the lab's own actions:
//! each check passing, and each distinct failure with the diagnosis a learner would read.

use std::time::Duration;

use crate::common::TestLab;
use tokio_util::sync::CancellationToken;
use walab::aws::Clients;
use walab::checks::{Context, Credentials, Evidence, Outcome, Remedy, Status, run_check};
use walab::guide::{CheckId, Guide, SolveAction};
use walab::probe::Prober;
use walab::secret::Secret;
use walab::settings::{Field, Values};
use walab::solve::{Solved, solve};
use walab::target::TargetKind;

fn context(lab: &TestLab) -> Context {
    let info = lab.info();
    let credentials = Credentials {
        username: Some(info.demo_user.username.clone()),
        password: Some(info.demo_user.password.clone()),
    };
    Context::new(Clients::new(&lab.sdk()), TargetKind::Local, Values::default(), credentials, Prober::new().unwrap())
}

async fn check(ctx: &Context, id: CheckId) -> Outcome {
    run_check(id, ctx).await
}

#[track_caller]
fn assert_failed(outcome: &Outcome, summary: &str, hint: &str) {
    assert_eq!(outcome.status, Status::Failed, "{outcome:?}");
    assert!(outcome.summary.contains(summary), "summary {:?} lacks {summary:?}", outcome.summary);
    let got = outcome.hint_for_cli().unwrap_or_default();
    assert!(got.contains(hint), "hint {got:?} lacks {hint:?}");
}

#[track_caller]
fn assert_passed(outcome: &Outcome) {
    assert_eq!(outcome.status, Status::Passed, "{outcome:?}");
}

/// What a check found, recorded the way its caller records it.
fn recorded(outcome: &Outcome) -> Values {
    let mut values = Values::default();
    outcome.found.as_ref().expect("found values").record_into(&mut values);
    values
}

async fn solved(ctx: &Context, action: SolveAction) {
    match solve(action, ctx).await {
        Ok(Solved::Done(_)) => {}
        other => panic!("{action}: {other:?}"),
    }
}

/// A check as `walab check` shows it: run with the checks on its path, settled in causal order.
async fn settled(ctx: &Context, id: CheckId) -> Outcome {
    let guide = Guide::load().unwrap();
    walab::checks::run(&[id], ctx, &guide, &CancellationToken::new()).await.remove(0).outcome
}

#[tokio::test]
async fn section_5_step_by_step_with_every_diagnosis_on_the_way() {
    let lab = TestLab::start().await;
    let ctx = context(&lab);

    // 5.2 holds on a fresh lab; the values are found for the caller to record.
    let outputs = check(&ctx, CheckId::StackOutputs).await;
    assert_passed(&outputs);
    let values = recorded(&outputs);
    assert_eq!(values.user_pool_id.as_deref(), Some(lab.info().user_pool_id.as_str()));
    assert_eq!(values.cloudfront_endpoint.as_deref(), Some(lab.info().cloudfront_endpoint.as_str()));
    let secret = check(&ctx, CheckId::ClientSecret).await;
    assert_passed(&secret);
    assert!(recorded(&secret).app_client_secret.is_some());
    assert_passed(&check(&ctx, CheckId::UserConfirmed).await);

    // The trap as section 5 begins: the warm cache answers 200 to anyone. What the request saw
    // is said, and what to do first is 5.3's first step, not an invalidation that cannot help.
    let trap = settled(&ctx, CheckId::Unauthenticated401).await;
    assert_failed(&trap, "served from CloudFront's cache", "solve create-authorizer");
    assert!(trap.summary.contains("start with 5.3"), "{}", trap.summary);
    assert_failed(&settled(&ctx, CheckId::AuthorizerCreated).await, "no Cognito authorizer", "solve create-authorizer");
    assert_failed(&check(&ctx, CheckId::MethodProtected).await, "authorization NONE", "solve protect-method");
    assert_failed(&settled(&ctx, CheckId::MethodProtected).await, "authorization NONE", "solve create-authorizer");
    assert_failed(&settled(&ctx, CheckId::ApiDeployed).await, "authorization NONE", "solve create-authorizer");
    assert_failed(&settled(&ctx, CheckId::HeaderForwarded).await, "forwards no headers", "solve forward-header");
    assert_failed(&check(&ctx, CheckId::CacheInvalidated).await, "no invalidation covering", "invalidate /*");
    assert_failed(&settled(&ctx, CheckId::CacheInvalidated).await, "start with 5.3", "solve create-authorizer");
    // A cached 200 with a token proves nothing while the API asks for none.
    assert_failed(&settled(&ctx, CheckId::Authenticated200).await, "proves nothing", "solve create-authorizer");
    assert_passed(&settled(&ctx, CheckId::IdToken).await);
    assert_passed(&settled(&ctx, CheckId::DirectApiBlocked).await);
    // A console step whose needs are not met says which comes first, and changes nothing.
    let refused = solve(SolveAction::DeployApi, &ctx).await.unwrap_err();
    assert!(
        refused.summary.contains("cannot help yet") && refused.summary.contains("authorizer-created"),
        "{refused:?}"
    );
    assert_eq!(refused.hint.unwrap().action, Some(Remedy::Solve(SolveAction::CreateAuthorizer)));
    assert_failed(&check(&ctx, CheckId::ApiDeployed).await, "authorization NONE", "deploy-api");

    // 5.3: authorizer, method, and the classic mistake of not deploying.
    solved(&ctx, SolveAction::CreateAuthorizer).await;
    assert_passed(&settled(&ctx, CheckId::AuthorizerCreated).await);
    solved(&ctx, SolveAction::ProtectMethod).await;
    assert_passed(&settled(&ctx, CheckId::MethodProtected).await);
    assert_failed(
        &settled(&ctx, CheckId::ApiDeployed).await,
        "still serves GET / with authorization NONE",
        "deploy-api",
    );
    solved(&ctx, SolveAction::DeployApi).await;
    assert_passed(&settled(&ctx, CheckId::ApiDeployed).await);
    // Deployed, but the cache still answers for the old key: 5.4 comes next.
    assert_failed(
        &settled(&ctx, CheckId::Unauthenticated401).await,
        "served from CloudFront's cache",
        "forward-header",
    );

    // 5.4: forwarding alone does not help requests without a token (the lab's warning).
    solved(&ctx, SolveAction::ForwardHeader).await;
    assert_passed(&settled(&ctx, CheckId::HeaderForwarded).await);
    assert_failed(&settled(&ctx, CheckId::CacheInvalidated).await, "no invalidation covering /?id=1", "invalidate /*");
    assert_failed(&settled(&ctx, CheckId::Unauthenticated401).await, "served from CloudFront's cache", "invalidate");
    solved(&ctx, SolveAction::InvalidateCache).await;
    assert_passed(&settled(&ctx, CheckId::CacheInvalidated).await);

    // 5.5: the section's goal.
    assert_passed(&settled(&ctx, CheckId::Unauthenticated401).await);
    assert_passed(&settled(&ctx, CheckId::IdToken).await);
    assert_passed(&settled(&ctx, CheckId::Authenticated200).await);
    assert_passed(&settled(&ctx, CheckId::DirectApiBlocked).await);

    // Solving again changes nothing.
    for action in SolveAction::ALL {
        assert!(matches!(solve(action, &ctx).await, Ok(Solved::AlreadyDone(_))), "{action}");
    }

    // An hour later the token has expired. CloudFront still holds the 200 cached for this very
    // token (its TTL is a day, as on AWS); once that is gone, the API says the token expired.
    lab.lab().clock.advance(Duration::from_secs(3660));
    assert_passed(&check(&ctx, CheckId::Authenticated200).await);
    walab::solve::create_invalidation(&ctx, &walab::checks::distribution_id(&ctx).await.unwrap()).await.unwrap();
    ctx.begin_run();
    assert_failed(&check(&ctx, CheckId::Authenticated200).await, "expired", "new token");
}

/// A stage of the lab: the action that reaches it, the checks that fail there with the next step
/// as their hint, and those that fail there with a fix of their own.
type Stage = (Option<SolveAction>, &'static [CheckId], &'static [(CheckId, SolveAction)]);

/// Every failing check's hint, at each stage of the lab, names the first unmet step on its own
/// path (the lab model's `needs`), never a fix whose own needs still fail.
#[tokio::test]
async fn every_hint_names_the_first_unmet_step_at_every_stage() {
    use CheckId::*;
    let lab = TestLab::start().await;
    let ctx = context(&lab);
    let guide = Guide::load().unwrap();
    let stages: [Stage; 6] = [
        (
            None,
            &[AuthorizerCreated, MethodProtected, ApiDeployed, CacheInvalidated, Unauthenticated401, Authenticated200],
            &[(HeaderForwarded, SolveAction::ForwardHeader)],
        ),
        (
            Some(SolveAction::CreateAuthorizer),
            &[MethodProtected, ApiDeployed, CacheInvalidated, Unauthenticated401, Authenticated200],
            &[(HeaderForwarded, SolveAction::ForwardHeader)],
        ),
        (
            Some(SolveAction::ProtectMethod),
            &[ApiDeployed, CacheInvalidated, Unauthenticated401, Authenticated200],
            &[(HeaderForwarded, SolveAction::ForwardHeader)],
        ),
        (Some(SolveAction::DeployApi), &[HeaderForwarded, CacheInvalidated, Unauthenticated401, Authenticated200], &[]),
        (Some(SolveAction::ForwardHeader), &[CacheInvalidated, Unauthenticated401, Authenticated200], &[]),
        (Some(SolveAction::InvalidateCache), &[], &[]),
    ];
    let next = [
        SolveAction::CreateAuthorizer,
        SolveAction::ProtectMethod,
        SolveAction::DeployApi,
        SolveAction::ForwardHeader,
        SolveAction::InvalidateCache,
    ];
    for (stage, (action, failing, own)) in stages.into_iter().enumerate() {
        if let Some(action) = action {
            solved(&ctx, action).await;
        }
        let reports = walab::checks::run(&CheckId::ALL, &ctx, &guide, &CancellationToken::new()).await;
        let failed: Vec<CheckId> =
            reports.iter().filter(|r| r.outcome.status != Status::Passed).map(|r| r.id).collect();
        let mut expected: Vec<CheckId> = failing.iter().chain(own.iter().map(|(id, _)| id)).copied().collect();
        expected.sort();
        assert_eq!(failed, expected, "stage {stage}: {reports:#?}");
        for report in reports.iter().filter(|r| r.outcome.status != Status::Passed) {
            let want = own.iter().find(|(id, _)| *id == report.id).map_or(next[stage], |(_, a)| *a);
            let hint = report.outcome.hint.as_ref().unwrap();
            assert_eq!(hint.action, Some(Remedy::Solve(want)), "stage {stage}, {}: {:?}", report.id, report.outcome);
        }
    }
}

#[tokio::test]
async fn a_200_that_reached_the_api_names_what_is_missing() {
    let lab = TestLab::start().await;
    let ctx = context(&lab);
    // Empty the cache without protecting anything: the API itself answers 200.
    let dist = walab::checks::distribution_id(&ctx).await.unwrap();
    walab::solve::create_invalidation(&ctx, &dist).await.unwrap();
    let outcome = settled(&ctx, CheckId::Unauthenticated401).await;
    assert_failed(&outcome, "200 from the API itself", "create-authorizer");
    let Evidence::Response(response) = &outcome.evidence else { panic!("{outcome:?}") };
    assert_eq!(response.status, 200);
    assert_eq!(response.headers.x_cache.as_deref(), Some("Miss from cloudfront"));

    solved(&ctx, SolveAction::CreateAuthorizer).await;
    solved(&ctx, SolveAction::ProtectMethod).await;
    walab::solve::create_invalidation(&ctx, &dist).await.unwrap();
    assert_failed(&settled(&ctx, CheckId::Unauthenticated401).await, "api-deployed", "deploy-api");
    // The invalidate solve refuses: the API is not deployed yet, so it would not help.
    let refused = solve(SolveAction::InvalidateCache, &ctx).await.unwrap_err();
    assert!(refused.summary.contains("api-deployed"), "{refused:?}");
}

#[tokio::test]
async fn a_valid_token_refused_means_cloudfront_drops_the_header() {
    let lab = TestLab::start().await;
    let ctx = context(&lab);
    for action in [SolveAction::CreateAuthorizer, SolveAction::ProtectMethod, SolveAction::DeployApi] {
        solved(&ctx, action).await;
    }
    // Invalidate without forwarding: every request now reaches the API, token stripped.
    walab::solve::create_invalidation(&ctx, &walab::checks::distribution_id(&ctx).await.unwrap()).await.unwrap();
    assert_passed(&check(&ctx, CheckId::Unauthenticated401).await);
    assert_failed(&check(&ctx, CheckId::Authenticated200).await, "the API never saw it", "solve forward-header");
    assert_failed(&settled(&ctx, CheckId::Authenticated200).await, "header-forwarded", "solve forward-header");
}

#[tokio::test]
async fn sign_in_failures_say_what_is_wrong() {
    let lab = TestLab::start().await;
    let ctx = context(&lab);
    let outputs = check(&ctx, CheckId::StackOutputs).await;
    let secret = check(&ctx, CheckId::ClientSecret).await;
    assert_passed(&secret);
    let mut good = recorded(&outputs);
    good.app_client_secret = recorded(&secret).app_client_secret;

    let mut wrong_secret = good.clone();
    wrong_secret.app_client_secret = Some(Secret::new("not-the-secret-at-all"));
    let info = lab.info();
    let with = |values: Values, username: &str, password: Option<&str>| {
        Context::new(
            Clients::new(&lab.sdk()),
            TargetKind::Local,
            values,
            Credentials { username: Some(username.to_string()), password: password.map(Secret::new) },
            Prober::new().unwrap(),
        )
    };
    let demo = info.demo_user.username.as_str();
    let password = info.demo_user.password.expose();

    let ctx = with(wrong_secret, demo, Some(password));
    assert_failed(&check(&ctx, CheckId::IdToken).await, "secret hash", "app-client-secret");
    let ctx = with(good.clone(), demo, Some("Wrong-Pass-1"));
    assert_failed(&check(&ctx, CheckId::IdToken).await, "wrong username or password", "WALAB_PASSWORD");
    let ctx = with(good.clone(), demo, None);
    assert_failed(&check(&ctx, CheckId::IdToken).await, "no password", "WALAB_PASSWORD");
    // Without a token the token-using checks are skipped, not failed.
    let skipped = check(&ctx, CheckId::Authenticated200).await;
    assert_eq!(skipped.status, Status::Skipped, "{skipped:?}");

    // A user who signed up but did not confirm.
    let email = "pending@example.com";
    let secret = good.app_client_secret.clone().unwrap();
    lab.cognito()
        .sign_up()
        .client_id(&info.app_client_id)
        .secret_hash(walab::token::secret_hash(email, &info.app_client_id, secret.expose()))
        .username(email)
        .password("Pending-Pass-1")
        .send()
        .await
        .unwrap();
    let ctx = with(good.clone(), email, Some("Pending-Pass-1"));
    assert_failed(&check(&ctx, CheckId::UserConfirmed).await, "has not confirmed", "confirmation email");
    assert_failed(&check(&ctx, CheckId::IdToken).await, "not confirmed", "solve sign-up");
    // The sign-up solve confirms it through the local outbox.
    solved(&ctx, SolveAction::SignUp).await;
    assert_passed(&check(&ctx, CheckId::UserConfirmed).await);
    assert_passed(&check(&ctx, CheckId::IdToken).await);

    let ctx = with(good, "nobody@example.com", Some("Whatever-1"));
    assert_failed(&check(&ctx, CheckId::UserConfirmed).await, "no user nobody@example.com", "sign up");
}

#[tokio::test]
async fn wrong_stacks_and_wrong_authorizers_are_named() {
    let lab = TestLab::start().await;
    let mut ctx = context(&lab);
    ctx.stack = "not-the-lab".to_string();
    assert_failed(&check(&ctx, CheckId::StackOutputs).await, "no stack not-the-lab in us-east-1", "--stack");
    // Checks that need the values are skipped, pointing at the first failure.
    let skipped = check(&ctx, CheckId::UserConfirmed).await;
    assert_eq!(skipped.status, Status::Skipped);
    assert!(skipped.hint_for_cli().unwrap().contains("stack-outputs"));

    let ctx = context(&lab);
    let api = walab::checks::api_id(&ctx).await.unwrap();
    let pool_arn = format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{}", lab.info().user_pool_id);
    lab.apigateway()
        .create_authorizer()
        .rest_api_id(&api)
        .name("wrong-header")
        .r#type(aws_sdk_apigateway::types::AuthorizerType::CognitoUserPools)
        .provider_arns(pool_arn)
        .identity_source("method.request.header.X-Token")
        .send()
        .await
        .unwrap();
    assert_failed(
        &check(&ctx, CheckId::AuthorizerCreated).await,
        "reads the token from method.request.header.X-Token",
        "Authorization header",
    );
}

#[tokio::test]
async fn forwarding_works_through_a_cache_policy_too() {
    let lab = TestLab::start().await;
    let ctx = context(&lab);
    // The new console's way: the behaviour uses the managed CachingOptimized policy.
    let cloudfront = lab.cloudfront();
    let dist = walab::checks::distribution_id(&ctx).await.unwrap();
    let current = cloudfront.get_distribution_config().id(&dist).send().await.unwrap();
    let mut config = current.distribution_config().unwrap().clone();
    #[allow(deprecated)]
    {
        let behavior = config.default_cache_behavior.as_mut().unwrap();
        behavior.forwarded_values = None;
        behavior.min_ttl = None;
        behavior.default_ttl = None;
        behavior.max_ttl = None;
        behavior.cache_policy_id = Some(walab::names::cache_policy::CACHING_OPTIMIZED.to_string());
    }
    cloudfront
        .update_distribution()
        .id(&dist)
        .if_match(current.e_tag().unwrap())
        .distribution_config(config)
        .send()
        .await
        .unwrap();
    assert_failed(&check(&ctx, CheckId::HeaderForwarded).await, "managed cache policy", "solve forward-header");
    // CachingOptimized keeps query strings out of the key, and so away from the API.
    assert_failed(&check(&ctx, CheckId::Unauthenticated401).await, "did not get ?id=", "query strings");

    for action in SolveAction::ALL {
        if let Err(outcome) = solve(action, &ctx).await {
            panic!("{action}: {outcome:?}");
        }
    }
    let forwarded = check(&ctx, CheckId::HeaderForwarded).await;
    assert_passed(&forwarded);
    assert!(forwarded.summary.contains("cache policy"), "{forwarded:?}");
    assert_passed(&check(&ctx, CheckId::Unauthenticated401).await);
    assert_passed(&check(&ctx, CheckId::Authenticated200).await);
}

#[tokio::test]
async fn checks_read_and_never_change_the_recorded_values() {
    let lab = TestLab::start().await;
    let mut stale = Values::default();
    stale.set(Field::CloudFrontEndpoint, Some("http://127.0.0.1:9/?id=1".into()));
    let info = lab.info();
    let ctx = Context::new(
        Clients::new(&lab.sdk()),
        TargetKind::Local,
        stale.clone(),
        Credentials {
            username: Some(info.demo_user.username.clone()),
            password: Some(info.demo_user.password.clone()),
        },
        Prober::new().unwrap(),
    );
    for id in CheckId::ALL {
        check(&ctx, id).await;
        assert_eq!(ctx.values(), stale, "{id} changed the recorded values");
    }
    // What stack-outputs read is what the later checks used: the endpoint it found, not the stale one.
    let outputs = check(&ctx, CheckId::StackOutputs).await;
    assert!(outputs.summary.contains("recorded"), "{outputs:?}");
    let found = recorded(&outputs);
    assert_eq!(found.cloudfront_endpoint.as_deref(), Some(info.cloudfront_endpoint.as_str()));
    assert_eq!(ctx.value(Field::CloudFrontEndpoint).as_deref(), Some(info.cloudfront_endpoint.as_str()));
    assert_passed(&check(&ctx, CheckId::DirectApiBlocked).await);
    // Until the owner records another value, which checks then use.
    ctx.set_value(Field::CloudFrontEndpoint, Some("http://127.0.0.1:9/?id=1".into()));
    assert_eq!(check(&ctx, CheckId::Unauthenticated401).await.status, Status::Error);
    assert_eq!(ctx.values(), stale);
}

/// Clean up on the local lab: before, each stack's check fails naming it; a deletion in the
/// wrong order is diagnosed from the stack's events; after the teardown the checks pass, and
/// section 5's checks fail clearly for want of the stacks.
#[tokio::test]
async fn clean_up_fails_naming_each_stack_then_passes_after_the_teardown() {
    let lab = TestLab::start().await;
    let ctx = context(&lab);

    assert_failed(
        &check(&ctx, CheckId::StackCdnDeleted).await,
        "walab-cdn-waf-cognito still exists (CREATE_COMPLETE)",
        "walab solve teardown",
    );
    assert_failed(&check(&ctx, CheckId::StackApiDeleted).await, "walab-api still exists", "walab solve teardown");
    // The local lab has no Cloud9 environment, so no aws-cloud9-… stack.
    assert_passed(&check(&ctx, CheckId::StackCloud9Deleted).await);
    for id in [CheckId::LogGroupsDeleted, CheckId::BucketDeleted] {
        let outcome = check(&ctx, id).await;
        assert_eq!(outcome.status, Status::Skipped, "{id}: never a pass: {outcome:?}");
        assert!(outcome.summary.starts_with("not verified"), "{outcome:?}");
    }
    let bucket = check(&ctx, CheckId::BucketDeleted).await;
    assert!(bucket.summary.contains("walab-lambda-packages-"), "named from SBucketName: {bucket:?}");
    let logs = check(&ctx, CheckId::LogGroupsDeleted).await;
    assert!(logs.summary.contains("/aws/lambda/walab-api-LambdaRDSTes"), "{logs:?}");

    // Deleting the API first is blocked, and the check names what blocked it.
    lab.cloudformation().delete_stack().stack_name("walab-api").send().await.unwrap();
    assert_failed(
        &check(&ctx, CheckId::StackApiDeleted).await,
        "walab-api is stuck in DELETE_FAILED: apiGateway (AWS::ApiGateway::RestApi) could not be deleted",
        "walab solve teardown",
    );

    match solve(SolveAction::Teardown, &ctx).await {
        Ok(Solved::Done(summary)) => assert_eq!(summary, "deleted walab-cdn-waf-cognito, then walab-api"),
        other => panic!("teardown: {other:?}"),
    }
    for id in [CheckId::StackCdnDeleted, CheckId::StackCloud9Deleted, CheckId::StackApiDeleted] {
        assert_passed(&check(&ctx, id).await);
    }
    assert!(matches!(solve(SolveAction::Teardown, &ctx).await, Ok(Solved::AlreadyDone(_))));
    // Section 5 cannot pass without its stacks, and says which one is missing.
    let outputs = check(&ctx, CheckId::StackOutputs).await;
    assert_eq!(outputs.status, Status::Failed, "{outputs:?}");
    assert!(outputs.summary.contains("walab-cdn-waf-cognito"), "{outputs:?}");
}

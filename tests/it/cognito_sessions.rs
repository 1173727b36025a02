//! Ending sign-ins and reading users through the official SDK client: global sign-out (self and
//! admin) and RevokeToken really stop refresh tokens (and, for a global sign-out, access tokens
//! at GetUser); a disabled user cannot sign in and its sign-ins end; ListUsers with Cognito's
//! filters; DescribeUserPoolDomain.

use crate::common::{TestLab, error};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType};
use walab::token::secret_hash;

async fn refresh(lab: &TestLab, tokens: &AuthenticationResultType) -> Result<(), (String, String)> {
    let info = lab.info();
    let hash = secret_hash(&info.demo_user.username, &info.app_client_id, &lab.client_secret().await);
    lab.cognito()
        .initiate_auth()
        .client_id(&info.app_client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
        .auth_parameters("SECRET_HASH", hash)
        .send()
        .await
        .map(drop)
        .map_err(error)
}

async fn get_user(lab: &TestLab, tokens: &AuthenticationResultType) -> Result<(), (String, String)> {
    lab.cognito().get_user().access_token(tokens.access_token().unwrap()).send().await.map(drop).map_err(error)
}

#[tokio::test]
async fn global_sign_out_ends_every_sign_in_but_not_later_ones() {
    let lab = TestLab::start().await;
    let (first, second) = (lab.demo_tokens().await, lab.demo_tokens().await);
    refresh(&lab, &first).await.unwrap();
    get_user(&lab, &first).await.unwrap();
    lab.cognito().global_sign_out().access_token(first.access_token().unwrap()).send().await.unwrap();
    for tokens in [&first, &second] {
        assert_eq!(
            refresh(&lab, tokens).await.unwrap_err(),
            ("NotAuthorizedException".into(), "Refresh Token has been revoked".into())
        );
        assert_eq!(
            get_user(&lab, tokens).await.unwrap_err(),
            ("NotAuthorizedException".into(), "Access Token has been revoked".into())
        );
    }
    let later = lab.demo_tokens().await;
    refresh(&lab, &later).await.unwrap();
    get_user(&lab, &later).await.unwrap();
    let refused = lab.cognito().global_sign_out().access_token("not.a.token").send().await.map_err(error).unwrap_err();
    assert_eq!(refused.0, "NotAuthorizedException");
}

#[tokio::test]
async fn admin_global_sign_out_ends_the_users_sign_ins() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let tokens = lab.demo_tokens().await;
    let cognito = lab.cognito();
    cognito
        .admin_user_global_sign_out()
        .user_pool_id(&info.user_pool_id)
        .username(&info.demo_user.username)
        .send()
        .await
        .unwrap();
    assert_eq!(refresh(&lab, &tokens).await.unwrap_err().1, "Refresh Token has been revoked");
    assert_eq!(get_user(&lab, &tokens).await.unwrap_err().1, "Access Token has been revoked");
    let nobody = cognito
        .admin_user_global_sign_out()
        .user_pool_id(&info.user_pool_id)
        .username("nobody@example.com")
        .send()
        .await
        .map_err(error)
        .unwrap_err();
    assert_eq!(nobody, ("UserNotFoundException".into(), "User does not exist.".into()));
}

#[tokio::test]
async fn revoke_token_ends_that_sign_in_only() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let secret = lab.client_secret().await;
    let (revoked, kept) = (lab.demo_tokens().await, lab.demo_tokens().await);
    let cognito = lab.cognito();
    let revoke = |token: &str, secret: &str| {
        cognito.revoke_token().token(token).client_id(&info.app_client_id).client_secret(secret).send()
    };
    revoke(revoked.refresh_token().unwrap(), &secret).await.unwrap();
    assert_eq!(refresh(&lab, &revoked).await.unwrap_err().1, "Refresh Token has been revoked");
    refresh(&lab, &kept).await.unwrap();
    // An unknown token is no error; a wrong secret and an ID token are.
    revoke("unknown-token", &secret).await.unwrap();
    assert_eq!(
        revoke(kept.refresh_token().unwrap(), "wrong").await.map_err(error).unwrap_err().0,
        "UnauthorizedException"
    );
    assert_eq!(
        revoke(kept.id_token().unwrap(), &secret).await.map_err(error).unwrap_err().0,
        "UnsupportedTokenTypeException"
    );
    refresh(&lab, &kept).await.unwrap();
}

#[tokio::test]
async fn revoke_token_refuses_only_with_the_errors_its_model_declares() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let secret = lab.client_secret().await;
    let tokens = lab.demo_tokens().await;
    let cognito = lab.cognito();
    let refresh_token = tokens.refresh_token().unwrap();
    let unknown_client =
        cognito.revoke_token().token(refresh_token).client_id("nosuchclient").client_secret(&secret).send().await;
    assert_eq!(unknown_client.map_err(error).unwrap_err().0, "UnauthorizedException");
    let malformed =
        cognito.revoke_token().token("not a token!").client_id(&info.app_client_id).client_secret(&secret).send().await;
    let malformed = malformed.map_err(error).unwrap_err();
    assert_eq!(malformed.0, "InvalidParameterException");
    assert!(malformed.1.contains("'token'"), "{malformed:?}");
    // Nothing was revoked on the way.
    refresh(&lab, &tokens).await.unwrap();
}

#[tokio::test]
async fn list_users_filters_as_cognito_does() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let cognito = lab.cognito();
    let all = cognito.list_users().user_pool_id(&info.user_pool_id).send().await.unwrap();
    assert_eq!(all.users().len(), 1);
    assert_eq!(all.users()[0].user_status().map(|s| s.as_str()), Some("CONFIRMED"));
    let by_email = cognito
        .list_users()
        .user_pool_id(&info.user_pool_id)
        .filter(format!("email = \"{}\"", info.demo_user.username))
        .send()
        .await
        .unwrap();
    assert_eq!(by_email.users().len(), 1);
    let by_prefix =
        cognito.list_users().user_pool_id(&info.user_pool_id).filter("email ^= \"zzz\"").send().await.unwrap();
    assert!(by_prefix.users().is_empty());
    let bad = cognito.list_users().user_pool_id(&info.user_pool_id).filter("email ~ x").send().await;
    assert_eq!(bad.map_err(error).unwrap_err(), ("InvalidParameterException".into(), "Invalid search filter".into()));
    let no_pool = cognito.list_users().user_pool_id("us-east-1_Nope12345").send().await.map_err(error).unwrap_err();
    assert_eq!(no_pool.0, "ResourceNotFoundException");
}

#[tokio::test]
async fn describe_user_pool_domain_finds_the_pools_domain() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let cognito = lab.cognito();
    let pool = cognito.describe_user_pool().user_pool_id(&info.user_pool_id).send().await.unwrap();
    let domain = pool.user_pool().and_then(|p| p.domain()).unwrap().to_string();
    let described = cognito.describe_user_pool_domain().domain(&domain).send().await.unwrap();
    let description = described.domain_description().unwrap();
    assert_eq!(description.user_pool_id(), Some(info.user_pool_id.as_str()));
    assert_eq!(description.status().map(|s| s.as_str()), Some("ACTIVE"));
    let unknown = cognito.describe_user_pool_domain().domain("nobody-has-this").send().await.unwrap();
    assert!(unknown.domain_description().is_none_or(|d| d.user_pool_id().is_none()));
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_until_enabled_again() {
    let lab = TestLab::start().await;
    let info = lab.info();
    let cognito = lab.cognito();
    let user = &info.demo_user.username;
    let tokens = lab.demo_tokens().await;
    cognito.admin_disable_user().user_pool_id(&info.user_pool_id).username(user).send().await.unwrap();
    let got = cognito.admin_get_user().user_pool_id(&info.user_pool_id).username(user).send().await.unwrap();
    assert!(!got.enabled());
    let hash = secret_hash(user, &info.app_client_id, &lab.client_secret().await);
    let sign_in = || {
        cognito
            .admin_initiate_auth()
            .user_pool_id(&info.user_pool_id)
            .client_id(&info.app_client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", info.demo_user.password.expose())
            .auth_parameters("SECRET_HASH", &hash)
            .send()
    };
    assert_eq!(
        sign_in().await.map_err(error).unwrap_err(),
        ("NotAuthorizedException".into(), "User is disabled.".into())
    );
    // Its sign-ins ended with it: the refresh token and the access token are refused.
    assert_eq!(refresh(&lab, &tokens).await.unwrap_err().0, "NotAuthorizedException");
    assert_eq!(get_user(&lab, &tokens).await.unwrap_err().0, "NotAuthorizedException");

    cognito.admin_enable_user().user_pool_id(&info.user_pool_id).username(user).send().await.unwrap();
    assert!(sign_in().await.unwrap().authentication_result().is_some());
    let missing = cognito.admin_disable_user().user_pool_id(&info.user_pool_id).username("nobody@example.com");
    assert_eq!(missing.send().await.map_err(error).unwrap_err().0, "UserNotFoundException");
}

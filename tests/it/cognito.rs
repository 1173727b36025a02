//! Cognito through the official SDK client against the local lab: every operation the lab
//! uses, and each refusal with Cognito's own error code and message.

use crate::common;

use crate::common::{TestLab, error};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, ChallengeNameType, UserStatusType};
use walab::token::secret_hash;

/// The lab's ids and the app client's secret, read the way walab reads them.
struct Pool {
    pool_id: String,
    client_id: String,
    secret: String,
    username: String,
    password: String,
}

async fn pool(lab: &TestLab) -> Pool {
    let info = lab.info();
    let secret = lab.client_secret().await;
    Pool {
        pool_id: info.user_pool_id,
        client_id: info.app_client_id,
        secret,
        username: info.demo_user.username,
        password: info.demo_user.password.expose().to_string(),
    }
}

async fn admin_auth(
    cognito: &Client,
    p: &Pool,
    flow: AuthFlowType,
    username: &str,
    password: &str,
    hash: Option<String>,
) -> Result<aws_sdk_cognitoidentityprovider::operation::admin_initiate_auth::AdminInitiateAuthOutput, (String, String)>
{
    let mut call = cognito
        .admin_initiate_auth()
        .user_pool_id(&p.pool_id)
        .client_id(&p.client_id)
        .auth_flow(flow)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password);
    if let Some(hash) = hash {
        call = call.auth_parameters("SECRET_HASH", hash);
    }
    call.send().await.map_err(error)
}

#[tokio::test]
async fn demo_user_gets_tokens_that_verify_against_the_served_jwks() {
    let lab = TestLab::start().await;
    let p = pool(&lab).await;
    let cognito = lab.cognito();
    for flow in [AuthFlowType::AdminUserPasswordAuth, AuthFlowType::AdminNoSrpAuth] {
        let hash = secret_hash(&p.username, &p.client_id, &p.secret);
        let out = admin_auth(&cognito, &p, flow, &p.username, &p.password, Some(hash)).await.unwrap();
        let result = out.authentication_result().unwrap();
        assert_eq!(result.expires_in(), 3600);
        assert_eq!(result.token_type(), Some("Bearer"));
        assert!(result.refresh_token().is_some());

        // Verify independently of walab's own verifier: jsonwebtoken + the JWKS over HTTP.
        let jwks_url = format!("{}/{}/.well-known/jwks.json", lab.info().aws_endpoint_url, p.pool_id);
        let jwks: jsonwebtoken::jwk::JwkSet = common::http().get(jwks_url).send().await.unwrap().json().await.unwrap();
        let id_token = result.id_token().unwrap();
        let header = jsonwebtoken::decode_header(id_token).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("kid in the JWKS");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let issuer = format!("https://cognito-idp.us-east-1.amazonaws.com/{}", p.pool_id);
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[&p.client_id]);
        validation.set_issuer(&[&issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation).unwrap().claims;
        assert_eq!(claims["token_use"], "id");
        assert_eq!(claims["email"], p.username.as_str());
        assert_eq!(claims["email_verified"], true);
        let (iat, exp) = (claims["iat"].as_i64().unwrap(), claims["exp"].as_i64().unwrap());
        assert_eq!(exp - iat, 3600);
        for claim in ["sub", "cognito:username", "auth_time", "jti", "origin_jti", "event_id"] {
            assert!(claims.get(claim).is_some(), "ID token lacks {claim}");
        }

        let access = jsonwebtoken::decode::<serde_json::Value>(
            result.access_token().unwrap(),
            &key,
            &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256),
        )
        .unwrap()
        .claims;
        assert_eq!(access["token_use"], "access");
        assert_eq!(access["client_id"], p.client_id.as_str());
        assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
        assert!(access.get("aud").is_none());
    }

    let config: serde_json::Value = common::http()
        .get(format!("{}/{}/.well-known/openid-configuration", lab.info().aws_endpoint_url, p.pool_id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["issuer"], format!("https://cognito-idp.us-east-1.amazonaws.com/{}", p.pool_id));
}

#[tokio::test]
async fn password_flows_refuse_like_cognito() {
    let lab = TestLab::start().await;
    let p = pool(&lab).await;
    let cognito = lab.cognito();
    let hash = |user: &str| Some(secret_hash(user, &p.client_id, &p.secret));
    let flow = AuthFlowType::AdminUserPasswordAuth;

    let wrong_hash = Some(secret_hash(&p.username, &p.client_id, "not-the-secret"));
    assert_eq!(
        admin_auth(&cognito, &p, flow.clone(), &p.username, &p.password, wrong_hash).await.unwrap_err(),
        ("NotAuthorizedException".into(), format!("Unable to verify secret hash for client {}", p.client_id))
    );
    let (code, _) = admin_auth(&cognito, &p, flow.clone(), &p.username, &p.password, None).await.unwrap_err();
    assert_eq!(code, "InvalidParameterException");

    let wrong_password = admin_auth(&cognito, &p, flow.clone(), &p.username, "Nope-1234", hash(&p.username));
    let refused = ("NotAuthorizedException".to_string(), "Incorrect username or password.".to_string());
    assert_eq!(wrong_password.await.unwrap_err(), refused);
    // PreventUserExistenceErrors: an unknown user looks like a wrong password.
    let ghost = "ghost@example.com";
    assert_eq!(admin_auth(&cognito, &p, flow.clone(), ghost, "Whatever-1", hash(ghost)).await.unwrap_err(), refused);

    // The lab's client does not enable plain USER_PASSWORD_AUTH.
    let err = cognito
        .initiate_auth()
        .client_id(&p.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &p.username)
        .auth_parameters("PASSWORD", &p.password)
        .auth_parameters("SECRET_HASH", hash(&p.username).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error(err),
        ("InvalidParameterException".into(), "USER_PASSWORD_AUTH flow not enabled for this client".into())
    );

    let err = cognito
        .initiate_auth()
        .client_id("0000000000000000000000000a")
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &p.username)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error(err).0, "ResourceNotFoundException");
}

#[tokio::test]
async fn sign_up_goes_through_the_outbox_and_confirmation() {
    let lab = TestLab::start().await;
    let p = pool(&lab).await;
    let cognito = lab.cognito();
    let email = "new.learner@example.com";
    let password = "Str0ng-Pass!";
    let hash = secret_hash(email, &p.client_id, &p.secret);

    let signed_up = cognito
        .sign_up()
        .client_id(&p.client_id)
        .secret_hash(&hash)
        .username(email)
        .password(password)
        .user_attributes(AttributeType::builder().name("email").value(email).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(!signed_up.user_confirmed());
    assert_eq!(signed_up.code_delivery_details().unwrap().destination(), Some("n***@e***"));

    // Unconfirmed users cannot sign in.
    let err = admin_auth(&cognito, &p, AuthFlowType::AdminUserPasswordAuth, email, password, Some(hash.clone())).await;
    assert_eq!(err.unwrap_err().0, "UserNotConfirmedException");

    // A second sign-up with the same email is refused; so is a weak password or a non-email.
    let again = cognito.sign_up().client_id(&p.client_id).secret_hash(&hash).username(email).password(password);
    assert_eq!(error(again.send().await.unwrap_err()).0, "UsernameExistsException");
    let other = "other@example.com";
    let weak = cognito
        .sign_up()
        .client_id(&p.client_id)
        .secret_hash(secret_hash(other, &p.client_id, &p.secret))
        .username(other)
        .password("short");
    assert_eq!(
        error(weak.send().await.unwrap_err()),
        ("InvalidPasswordException".into(), "Password did not conform with policy: Password not long enough".into())
    );
    let no_hash = cognito.sign_up().client_id(&p.client_id).username("x@example.com").password(password);
    assert_eq!(error(no_hash.send().await.unwrap_err()).0, "InvalidParameterException");

    let outbox: serde_json::Value = common::http()
        .get(format!("{}/_walab/outbox", lab.info().aws_endpoint_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = outbox["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(message["to"], email);
    let code = message["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 6);

    let wrong = cognito
        .confirm_sign_up()
        .client_id(&p.client_id)
        .secret_hash(&hash)
        .username(email)
        .confirmation_code(if code == "111111" { "222222" } else { "111111" });
    assert_eq!(error(wrong.send().await.unwrap_err()).0, "CodeMismatchException");

    let resent =
        cognito.resend_confirmation_code().client_id(&p.client_id).secret_hash(&hash).username(email).send().await;
    assert!(resent.unwrap().code_delivery_details().is_some());
    let outbox: serde_json::Value = common::http()
        .get(format!("{}/_walab/outbox", lab.info().aws_endpoint_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = outbox["messages"].as_array().unwrap().last().unwrap()["code"].as_str().unwrap().to_string();
    cognito
        .confirm_sign_up()
        .client_id(&p.client_id)
        .secret_hash(&hash)
        .username(email)
        .confirmation_code(&code)
        .send()
        .await
        .unwrap();

    let user = cognito.admin_get_user().user_pool_id(&p.pool_id).username(email).send().await.unwrap();
    assert_eq!(user.user_status(), Some(&UserStatusType::Confirmed));
    let verified = user.user_attributes().iter().find(|a| a.name() == "email_verified").unwrap();
    assert_eq!(verified.value(), Some("true"));
    admin_auth(&cognito, &p, AuthFlowType::AdminUserPasswordAuth, email, password, Some(hash.clone())).await.unwrap();

    let again =
        cognito.confirm_sign_up().client_id(&p.client_id).secret_hash(&hash).username(email).confirmation_code(&code);
    assert_eq!(
        error(again.send().await.unwrap_err()),
        ("NotAuthorizedException".into(), "User cannot be confirmed. Current status is CONFIRMED".into())
    );
}

#[tokio::test]
async fn confirmation_link_confirms_the_user() {
    let lab = TestLab::start().await;
    let p = pool(&lab).await;
    let email = "link@example.com";
    lab.cognito()
        .sign_up()
        .client_id(&p.client_id)
        .secret_hash(secret_hash(email, &p.client_id, &p.secret))
        .username(email)
        .password("Str0ng-Pass!")
        .send()
        .await
        .unwrap();
    let outbox: serde_json::Value = common::http()
        .get(format!("{}/_walab/outbox", lab.info().aws_endpoint_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = outbox["messages"].as_array().unwrap().last().unwrap()["link"].as_str().unwrap().to_string();
    let response = common::http().get(&link).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let user = lab.cognito().admin_get_user().user_pool_id(&p.pool_id).username(email).send().await.unwrap();
    assert_eq!(user.user_status(), Some(&UserStatusType::Confirmed));
    // The link works once.
    assert_eq!(common::http().get(&link).send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn temporary_password_leads_to_the_new_password_challenge() {
    let lab = TestLab::start().await;
    let p = pool(&lab).await;
    let cognito = lab.cognito();
    let email = "invited@example.com";
    let temporary = "Temp-Pass-1";
    let created = cognito
        .admin_create_user()
        .user_pool_id(&p.pool_id)
        .username(email)
        .temporary_password(temporary)
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    assert_eq!(created.user().unwrap().user_status(), Some(&UserStatusType::ForceChangePassword));
    let hash = secret_hash(email, &p.client_id, &p.secret);

    for admin in [false, true] {
        let challenge =
            admin_auth(&cognito, &p, AuthFlowType::AdminUserPasswordAuth, email, temporary, Some(hash.clone()))
                .await
                .unwrap();
        assert_eq!(challenge.challenge_name(), Some(&ChallengeNameType::NewPasswordRequired));
        assert!(challenge.authentication_result().is_none());
        let session = challenge.session().unwrap().to_string();
        let new_password = "Brand-New-Pass-2";
        let tokens = if admin {
            cognito
                .admin_respond_to_auth_challenge()
                .user_pool_id(&p.pool_id)
                .client_id(&p.client_id)
                .challenge_name(ChallengeNameType::NewPasswordRequired)
                .session(&session)
                .challenge_responses("USERNAME", email)
                .challenge_responses("NEW_PASSWORD", new_password)
                .challenge_responses("SECRET_HASH", &hash)
                .send()
                .await
                .unwrap()
                .authentication_result()
                .cloned()
        } else {
            // A weak new password is refused and the session stays usable.
            let respond = |session: &str, password: &str| {
                cognito
                    .respond_to_auth_challenge()
                    .client_id(&p.client_id)
                    .challenge_name(ChallengeNameType::NewPasswordRequired)
                    .session(session)
                    .challenge_responses("USERNAME", email)
                    .challenge_responses("NEW_PASSWORD", password)
                    .challenge_responses("SECRET_HASH", &hash)
            };
            let weak = respond(&session, "weak");
            assert_eq!(error(weak.send().await.unwrap_err()).0, "InvalidPasswordException");
            let bad_session = respond("not-a-session", new_password);
            assert_eq!(error(bad_session.send().await.unwrap_err()).0, "NotAuthorizedException");
            respond(&session, new_password).send().await.unwrap().authentication_result().cloned()
        };
        assert!(tokens.unwrap().id_token().is_some());
        let user = cognito.admin_get_user().user_pool_id(&p.pool_id).username(email).send().await.unwrap();
        assert_eq!(user.user_status(), Some(&UserStatusType::Confirmed));
        admin_auth(&cognito, &p, AuthFlowType::AdminUserPasswordAuth, email, new_password, Some(hash.clone()))
            .await
            .unwrap();
        // Back to a temporary password for the second round.
        cognito
            .admin_set_user_password()
            .user_pool_id(&p.pool_id)
            .username(email)
            .password(temporary)
            .permanent(false)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn admin_and_describe_operations() {
    let lab = TestLab::start().await;
    let p = pool(&lab).await;
    let cognito = lab.cognito();

    let described = cognito.describe_user_pool().user_pool_id(&p.pool_id).send().await.unwrap();
    let up = described.user_pool().unwrap();
    assert!(up.name().unwrap().starts_with("WAUserPool-"));
    assert_eq!(up.policies().unwrap().password_policy().unwrap().minimum_length(), Some(8));
    assert_eq!(up.username_attributes().len(), 1);

    let client =
        cognito.describe_user_pool_client().user_pool_id(&p.pool_id).client_id(&p.client_id).send().await.unwrap();
    let client = client.user_pool_client().unwrap();
    assert!(client.client_name().unwrap().starts_with("WAUserPoolClient-"));
    assert_eq!(p.secret.len(), 51);
    let mut flows: Vec<&str> = client.explicit_auth_flows().iter().map(|f| f.as_str()).collect();
    flows.sort();
    assert_eq!(
        flows,
        ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]
    );
    assert_eq!(client.id_token_validity(), Some(60));
    assert_eq!(client.access_token_validity(), Some(60));
    assert_eq!(client.prevent_user_existence_errors().map(|v| v.as_str()), Some("ENABLED"));

    let pools = cognito.list_user_pools().max_results(10).send().await.unwrap();
    assert_eq!(pools.user_pools().len(), 1);
    assert_eq!(pools.user_pools()[0].id(), Some(p.pool_id.as_str()));
    let err = cognito.list_user_pools().send().await.unwrap_err();
    assert_eq!(error(err).0, "InvalidParameterException");
    let clients = cognito.list_user_pool_clients().user_pool_id(&p.pool_id).send().await.unwrap();
    assert_eq!(clients.user_pool_clients()[0].client_id(), Some(p.client_id.as_str()));
    let err = cognito.describe_user_pool().user_pool_id("us-east-1_nonexist0").send().await.unwrap_err();
    assert_eq!(error(err).0, "ResourceNotFoundException");

    // AdminGetUser names unknown users (admin calls are not hidden by existence prevention).
    let err = cognito.admin_get_user().user_pool_id(&p.pool_id).username("ghost@example.com").send().await;
    assert_eq!(error(err.unwrap_err()), ("UserNotFoundException".into(), "User does not exist.".into()));

    // Sign up, confirm by admin, delete.
    let email = "temp@example.com";
    cognito
        .sign_up()
        .client_id(&p.client_id)
        .secret_hash(secret_hash(email, &p.client_id, &p.secret))
        .username(email)
        .password("Str0ng-Pass!")
        .send()
        .await
        .unwrap();
    cognito.admin_confirm_sign_up().user_pool_id(&p.pool_id).username(email).send().await.unwrap();
    let err = cognito.admin_confirm_sign_up().user_pool_id(&p.pool_id).username(email).send().await.unwrap_err();
    assert_eq!(error(err).0, "NotAuthorizedException");
    cognito.admin_delete_user().user_pool_id(&p.pool_id).username(email).send().await.unwrap();
    let err = cognito.admin_get_user().user_pool_id(&p.pool_id).username(email).send().await.unwrap_err();
    assert_eq!(error(err).0, "UserNotFoundException");
}

#[tokio::test]
async fn refresh_tokens_and_get_user() {
    let lab = TestLab::start().await;
    let p = pool(&lab).await;
    let cognito = lab.cognito();
    let hash = secret_hash(&p.username, &p.client_id, &p.secret);
    let first = admin_auth(&cognito, &p, AuthFlowType::AdminUserPasswordAuth, &p.username, &p.password, Some(hash))
        .await
        .unwrap();
    let first = first.authentication_result().unwrap();

    let me = cognito.get_user().access_token(first.access_token().unwrap()).send().await.unwrap();
    assert!(me.user_attributes().iter().any(|a| a.name() == "email" && a.value() == Some(p.username.as_str())));
    let err = cognito.get_user().access_token(first.id_token().unwrap()).send().await.unwrap_err();
    assert_eq!(error(err), ("NotAuthorizedException".into(), "Invalid Access Token".into()));

    let sub = me.username().to_string();
    let refreshed = cognito
        .initiate_auth()
        .client_id(&p.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", first.refresh_token().unwrap())
        .auth_parameters("SECRET_HASH", secret_hash(&sub, &p.client_id, &p.secret))
        .send()
        .await
        .unwrap();
    let refreshed = refreshed.authentication_result().unwrap();
    assert!(refreshed.id_token().is_some());
    assert!(refreshed.refresh_token().is_none(), "a refresh does not hand out a new refresh token");

    let err = cognito
        .initiate_auth()
        .client_id(&p.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", "forged")
        .auth_parameters("SECRET_HASH", secret_hash(&sub, &p.client_id, &p.secret))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error(err), ("NotAuthorizedException".into(), "Invalid Refresh Token".into()));

    // An hour later the access token has expired.
    lab.lab().clock.advance(std::time::Duration::from_secs(3601));
    let err = cognito.get_user().access_token(first.access_token().unwrap()).send().await.unwrap_err();
    assert_eq!(error(err), ("NotAuthorizedException".into(), "Access Token has expired".into()));
}

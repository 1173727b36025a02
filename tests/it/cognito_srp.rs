//! SRP sign-in (`USER_SRP_AUTH` → `PASSWORD_VERIFIER`) through the official SDK client against
//! the local lab, with walab's own SRP client and with pycognito (a client walab did not write),
//! and each refusal in Cognito's words.

use crate::common::{DemoLab, error};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use walab::srp::{ChallengeParameters, SrpClient, timestamp};
use walab::token::{TokenUse, secret_hash};

impl DemoLab {
    fn verifies(&self, id_token: &str) {
        let account = self.lab.account();
        walab::locallab::cognito::verify_for_pool(
            &account.ctx,
            &account.cognito,
            &self.pool_id,
            id_token,
            TokenUse::Id,
        )
        .expect("the ID token verifies");
    }
}

#[tokio::test]
async fn the_demo_user_signs_in_with_srp() {
    let lab = DemoLab::start().await;
    let (client, challenge) = lab.srp_begin(&lab.username).await.unwrap();
    for name in ["SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"] {
        assert!(challenge.contains_key(name), "{name} in {:?}", challenge.keys());
    }
    let tokens = lab.srp_answer(&client, &challenge, &lab.password).await.unwrap();
    lab.verifies(tokens.id_token().unwrap());
    assert!(tokens.refresh_token().is_some());
}

#[tokio::test]
async fn a_wrong_password_or_a_reused_challenge_is_refused() {
    let lab = DemoLab::start().await;
    let (client, challenge) = lab.srp_begin(&lab.username).await.unwrap();
    let wrong = lab.srp_answer(&client, &challenge, "Not-the-password-1").await.unwrap_err();
    assert_eq!(wrong, ("NotAuthorizedException".into(), "Incorrect username or password.".into()));
    // The challenge was used up by the wrong answer.
    let again = lab.srp_answer(&client, &challenge, &lab.password).await.unwrap_err();
    assert_eq!(again.0, "NotAuthorizedException");
}

#[tokio::test]
async fn an_unknown_user_gets_a_challenge_that_always_fails() {
    let lab = DemoLab::start().await;
    let (client, challenge) = lab.srp_begin("nobody@example.com").await.unwrap();
    let refused = lab.srp_answer(&client, &challenge, "Whatever-pass-1").await.unwrap_err();
    assert_eq!(refused, ("NotAuthorizedException".into(), "Incorrect username or password.".into()));
}

#[tokio::test]
async fn the_secret_hash_and_the_flow_are_enforced() {
    let lab = DemoLab::start().await;
    let client = SrpClient::new(&lab.pool_id).unwrap();
    let initiate = |hash: Option<String>| {
        let mut call = lab
            .cognito()
            .initiate_auth()
            .client_id(&lab.client_id)
            .auth_flow(AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", &lab.username)
            .auth_parameters("SRP_A", client.srp_a());
        if let Some(hash) = hash {
            call = call.auth_parameters("SECRET_HASH", hash);
        }
        call.send()
    };
    let missing = initiate(None).await.map_err(error).unwrap_err();
    assert_eq!(missing.0, "InvalidParameterException");
    assert!(missing.1.contains("configured for secret"), "{}", missing.1);
    let wrong = initiate(Some("d3Jvbmc=".into())).await.map_err(error).unwrap_err();
    assert_eq!(
        wrong,
        ("NotAuthorizedException".into(), format!("Unable to verify secret hash for client {}", lab.client_id))
    );

    // A secret hash for another name is refused at the answer too.
    let (client, challenge) = lab.srp_begin(&lab.username).await.unwrap();
    let parameters = ChallengeParameters {
        srp_b: challenge["SRP_B"].clone(),
        salt: challenge["SALT"].clone(),
        secret_block: challenge["SECRET_BLOCK"].clone(),
    };
    let stamp = timestamp(0);
    let signature =
        client.password_claim_signature(&challenge["USER_ID_FOR_SRP"], &lab.password, &parameters, &stamp).unwrap();
    let refused = lab
        .cognito()
        .respond_to_auth_challenge()
        .client_id(&lab.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", challenge["USERNAME"].clone())
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", parameters.secret_block)
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
        .challenge_responses("TIMESTAMP", stamp)
        .challenge_responses("SECRET_HASH", secret_hash("someone@else.com", &lab.client_id, &lab.secret))
        .send()
        .await
        .map_err(error)
        .unwrap_err();
    assert_eq!(refused.0, "NotAuthorizedException");
    assert!(refused.1.contains("secret hash"), "{}", refused.1);
}

#[tokio::test]
async fn a_user_stored_without_a_verifier_gets_one_when_the_password_is_set() {
    let lab = DemoLab::start().await;
    let account = lab.lab.account();
    let pool_id = lab.pool_id.clone();
    let username = lab.username.clone();
    account
        .cognito
        .write(|s| {
            let real = s.find_user(&pool_id, &username).unwrap().username.clone();
            s.update_user(&pool_id, &real, |u| u.srp = None);
            Ok(())
        })
        .unwrap();
    let (client, challenge) = lab.srp_begin(&lab.username).await.unwrap();
    let refused = lab.srp_answer(&client, &challenge, &lab.password).await.unwrap_err();
    assert_eq!(refused, ("NotAuthorizedException".into(), "Incorrect username or password.".into()));

    lab.cognito()
        .admin_set_user_password()
        .user_pool_id(&lab.pool_id)
        .username(&lab.username)
        .password(&lab.password)
        .permanent(true)
        .send()
        .await
        .unwrap();
    let (client, challenge) = lab.srp_begin(&lab.username).await.unwrap();
    let tokens = lab.srp_answer(&client, &challenge, &lab.password).await.unwrap();
    lab.verifies(tokens.id_token().unwrap());
}

#[tokio::test]
async fn walab_token_signs_in_with_srp() {
    let lab = DemoLab::start().await;
    let config = lab.lab.sdk();
    let aws = walab::aws::Clients::new(&config);
    let secret = walab::secret::Secret::new(lab.secret.clone());
    let password = walab::secret::Secret::new(lab.password.clone());
    let request = walab::token::SignInRequest {
        pool_id: &lab.pool_id,
        client_id: &lab.client_id,
        client_secret: Some(&secret),
        username: &lab.username,
        password: &password,
    };
    match walab::token::sign_in_srp(&aws, &request).await.unwrap() {
        walab::token::SignIn::Tokens { id_token, flow, .. } => {
            assert_eq!(flow, "USER_SRP_AUTH");
            lab.verifies(id_token.expose());
        }
        other => panic!("expected tokens, got {other:?}"),
    }
    let wrong = walab::secret::Secret::new("Wrong-password-1");
    let refused = walab::token::sign_in_srp(&aws, &walab::token::SignInRequest { password: &wrong, ..request }).await;
    assert_eq!(refused.unwrap_err(), walab::token::SignInError::WrongCredentials);
}

/// pycognito signs in against the lab through boto3, the way a learner's Python app would.
#[tokio::test]
async fn pycognito_signs_in_through_boto3() {
    let python = std::process::Command::new("python3").args(["-c", "import pycognito, boto3"]).output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("note: python3 with pycognito and boto3 is not installed; skipping (`.ci/run` installs it)");
        return;
    }
    let lab = DemoLab::start().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/srp/pycognito_boto3.py");
    let run = |password: String| {
        let endpoint = lab.lab.running.endpoints().aws_endpoint_url();
        let (pool, client, secret, user) =
            (lab.pool_id.clone(), lab.client_id.clone(), lab.secret.clone(), lab.username.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("python3")
                .arg(script)
                .args([&endpoint, &pool, &client, &secret, &user])
                .env("PYCOGNITO_PASSWORD", password)
                .env("AWS_ACCESS_KEY_ID", "AKIDLOCALLAB")
                .env("AWS_SECRET_ACCESS_KEY", "local-lab-secret")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .output()
                .unwrap()
        })
    };
    let signed_in = run(lab.password.clone()).await.unwrap();
    let stderr = String::from_utf8_lossy(&signed_in.stderr);
    assert!(signed_in.status.success(), "{stderr}");
    let id_token = String::from_utf8(signed_in.stdout).unwrap();
    lab.verifies(id_token.trim());

    let refused = run("Wrong-password-1".into()).await.unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("NotAuthorizedException"));
}

//! Passwords and attributes through the official SDK client: ForgotPassword puts a code in the
//! outbox and ConfirmForgotPassword sets the new password with it; ChangePassword with an access
//! token; both keep the SRP verifier in step (the new password signs in by SRP, the old one no
//! longer does). AdminUpdateUserAttributes, and GetSigningCertificate for the pool's key.

use std::time::Duration;

use crate::common::{DemoLab, error};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use base64::Engine;
use walab::token::secret_hash;

const NEW_PASSWORD: &str = "Brand-New-Pass-7";

impl DemoLab {
    fn hash(&self, name: &str) -> String {
        secret_hash(name, &self.client_id, &self.secret)
    }

    /// Signs `username` in with the password flow (AdminInitiateAuth, the lab's way).
    async fn password_sign_in(&self, username: &str, password: &str) -> Result<String, (String, String)> {
        let out = self
            .cognito()
            .admin_initiate_auth()
            .user_pool_id(&self.pool_id)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password)
            .auth_parameters("SECRET_HASH", self.hash(username))
            .send()
            .await
            .map_err(error)?;
        Ok(out.authentication_result().and_then(|r| r.access_token()).expect("tokens").to_string())
    }

    /// Signs `username` in with SRP, as Amplify and the other standard clients do.
    async fn srp_sign_in(&self, username: &str, password: &str) -> Result<(), (String, String)> {
        let (client, challenge) = self.srp_begin(username).await?;
        self.srp_answer(&client, &challenge, password).await.map(drop)
    }

    /// The new password signs in both ways; the old one in neither.
    async fn only_the_new_password_works(&self, old: &str, new: &str) {
        self.password_sign_in(&self.username, new).await.unwrap();
        self.srp_sign_in(&self.username, new).await.unwrap();
        let wrong = ("NotAuthorizedException".to_string(), "Incorrect username or password.".to_string());
        assert_eq!(self.password_sign_in(&self.username, old).await.unwrap_err(), wrong);
        assert_eq!(self.srp_sign_in(&self.username, old).await.unwrap_err(), wrong);
    }

    async fn forgot(&self, username: &str) -> Result<String, (String, String)> {
        let out = self
            .cognito()
            .forgot_password()
            .client_id(&self.client_id)
            .username(username)
            .secret_hash(self.hash(username))
            .send()
            .await
            .map_err(error)?;
        Ok(out.code_delivery_details().and_then(|d| d.destination()).unwrap_or_default().to_string())
    }

    async fn confirm(&self, username: &str, code: &str, password: &str) -> Result<(), (String, String)> {
        self.cognito()
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .username(username)
            .secret_hash(self.hash(username))
            .confirmation_code(code)
            .password(password)
            .send()
            .await
            .map(drop)
            .map_err(error)
    }

    /// The code in the newest message to `to`.
    fn code_sent_to(&self, to: &str) -> String {
        let account = self.lab.account();
        let message = walab::locallab::cognito::last_email_to(&account.cognito, to).expect("a message");
        message.code.expect("a code")
    }
}

#[tokio::test]
async fn forgot_password_sends_a_code_that_sets_the_new_password() {
    let lab = DemoLab::start().await;
    assert_eq!(lab.forgot(&lab.username).await.unwrap(), "l***@e***");
    let code = lab.code_sent_to(&lab.username);
    let mismatch =
        ("CodeMismatchException".to_string(), "Invalid verification code provided, please try again.".into());
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(lab.confirm(&lab.username, wrong_code, NEW_PASSWORD).await.unwrap_err(), mismatch);
    let weak = lab.confirm(&lab.username, &code, "short").await.unwrap_err();
    assert_eq!(weak.0, "InvalidPasswordException");
    lab.confirm(&lab.username, &code, NEW_PASSWORD).await.unwrap();
    lab.only_the_new_password_works(&lab.password, NEW_PASSWORD).await;
    // A code serves once.
    assert_eq!(lab.confirm(&lab.username, &code, "Another-Pass-8").await.unwrap_err(), mismatch);
}

#[tokio::test]
async fn forgot_password_refusals() {
    let lab = DemoLab::start().await;
    // The lab's client prevents user existence errors: an unknown user gets a code "sent".
    assert_eq!(lab.forgot("nobody@example.com").await.unwrap(), "n***@e***");
    let unknown = lab.confirm("nobody@example.com", "123456", NEW_PASSWORD).await.unwrap_err();
    assert_eq!(unknown.0, "CodeMismatchException");
    // With no code asked for, any code is a mismatch.
    assert_eq!(lab.confirm(&lab.username, "123456", NEW_PASSWORD).await.unwrap_err().0, "CodeMismatchException");
    let no_hash = lab.cognito().forgot_password().client_id(&lab.client_id).username(&lab.username).send().await;
    assert_eq!(
        no_hash.map_err(error).unwrap_err(),
        (
            "NotAuthorizedException".into(),
            format!("Client {} is configured for secret but secret was not received", lab.client_id)
        )
    );
    let bad_hash = lab
        .cognito()
        .forgot_password()
        .client_id(&lab.client_id)
        .username(&lab.username)
        .secret_hash("bad")
        .send()
        .await;
    assert_eq!(bad_hash.map_err(error).unwrap_err().0, "NotAuthorizedException");
    let no_client = lab.cognito().forgot_password().client_id("nosuchclient").username(&lab.username).send().await;
    assert_eq!(no_client.map_err(error).unwrap_err().0, "ResourceNotFoundException");
    // A code lasts an hour.
    lab.forgot(&lab.username).await.unwrap();
    let code = lab.code_sent_to(&lab.username);
    lab.lab.lab().clock.advance(Duration::from_secs(61 * 60));
    assert_eq!(
        lab.confirm(&lab.username, &code, NEW_PASSWORD).await.unwrap_err(),
        ("ExpiredCodeException".into(), "Invalid code provided, please request a code again.".into())
    );
    lab.password_sign_in(&lab.username, &lab.password).await.unwrap();
}

#[tokio::test]
async fn change_password_needs_the_old_one_and_keeps_srp_in_step() {
    let lab = DemoLab::start().await;
    let access = lab.password_sign_in(&lab.username, &lab.password).await.unwrap();
    let change = |previous: &str, proposed: &str, token: &str| {
        lab.cognito()
            .change_password()
            .access_token(token)
            .previous_password(previous)
            .proposed_password(proposed)
            .send()
    };
    assert_eq!(
        change("Not-The-Password-1", NEW_PASSWORD, &access).await.map_err(error).unwrap_err(),
        ("NotAuthorizedException".into(), "Incorrect username or password.".into())
    );
    assert_eq!(change(&lab.password, "weak", &access).await.map_err(error).unwrap_err().0, "InvalidPasswordException");
    assert_eq!(
        change(&lab.password, NEW_PASSWORD, "not.a.token").await.map_err(error).unwrap_err(),
        ("NotAuthorizedException".into(), "Invalid Access Token".into())
    );
    change(&lab.password, NEW_PASSWORD, &access).await.unwrap();
    lab.only_the_new_password_works(&lab.password, NEW_PASSWORD).await;
    // After a global sign-out, the access token no longer changes anything.
    lab.cognito().global_sign_out().access_token(&access).send().await.unwrap();
    assert_eq!(
        change(NEW_PASSWORD, "Third-Pass-9x", &access).await.map_err(error).unwrap_err(),
        ("NotAuthorizedException".into(), "Access Token has been revoked".into())
    );
}

fn attribute(name: &str, value: &str) -> AttributeType {
    AttributeType::builder().name(name).value(value).build().unwrap()
}

#[tokio::test]
async fn admin_update_user_attributes_changes_the_user_and_its_email() {
    let lab = DemoLab::start().await;
    let cognito = lab.cognito();
    let update = |name: &str, attributes: Vec<AttributeType>| {
        cognito
            .admin_update_user_attributes()
            .user_pool_id(&lab.pool_id)
            .username(name)
            .set_user_attributes(Some(attributes))
            .send()
    };
    let new_email = "renamed@example.com";
    update(&lab.username, vec![attribute("given_name", "Ada"), attribute("email", new_email)]).await.unwrap();
    let user = cognito.admin_get_user().user_pool_id(&lab.pool_id).username(new_email).send().await.unwrap();
    let value =
        |name: &str| user.user_attributes().iter().find(|a| a.name() == name).and_then(|a| a.value()).map(String::from);
    assert_eq!(value("given_name").as_deref(), Some("Ada"));
    assert_eq!(value("email").as_deref(), Some(new_email));
    // A new email is not verified until someone says so.
    assert_eq!(value("email_verified").as_deref(), Some("false"));
    lab.password_sign_in(new_email, &lab.password).await.unwrap();
    update(new_email, vec![attribute("email_verified", "true")]).await.unwrap();

    // Refusals.
    assert_eq!(
        update(new_email, vec![attribute("favourite_colour", "green")]).await.map_err(error).unwrap_err(),
        ("InvalidParameterException".into(), "Attribute does not exist in the schema.".into())
    );
    assert_eq!(
        update(new_email, vec![attribute("sub", "mine")]).await.map_err(error).unwrap_err().0,
        "InvalidParameterException"
    );
    assert_eq!(
        update(new_email, vec![attribute("email", "not-an-email")]).await.map_err(error).unwrap_err(),
        ("InvalidParameterException".into(), "Invalid email address format.".into())
    );
    assert_eq!(
        update("nobody@example.com", vec![attribute("name", "x")]).await.map_err(error).unwrap_err(),
        ("UserNotFoundException".into(), "User does not exist.".into())
    );
    cognito
        .admin_create_user()
        .user_pool_id(&lab.pool_id)
        .username("second@example.com")
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
    assert_eq!(
        update("second@example.com", vec![attribute("email", new_email)]).await.map_err(error).unwrap_err(),
        ("AliasExistsException".into(), "An account with the given email already exists.".into())
    );
}

#[tokio::test]
async fn get_signing_certificate_certifies_the_pools_key() {
    let lab = DemoLab::start().await;
    let cognito = lab.cognito();
    let first = cognito.get_signing_certificate().user_pool_id(&lab.pool_id).send().await.unwrap();
    let certificate = first.certificate().expect("a certificate").to_string();
    let der = base64::engine::general_purpose::STANDARD.decode(&certificate).expect("base64 DER");
    assert_eq!(der[0], 0x30, "a DER SEQUENCE");
    // The certificate holds the public key the pool's JWKS publishes.
    let account = lab.lab.account();
    let signer = walab::locallab::cognito::signer(&account.cognito, &lab.pool_id).unwrap();
    let jwks = serde_json::to_value(&signer.jwks).unwrap();
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == signer.kid.as_str()).unwrap();
    let modulus = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    assert!(der.windows(modulus.len()).any(|w| w == modulus.as_slice()), "the pool's modulus is in the certificate");
    // The same certificate every time.
    let again = cognito.get_signing_certificate().user_pool_id(&lab.pool_id).send().await.unwrap();
    assert_eq!(again.certificate(), Some(certificate.as_str()));

    let missing = cognito.get_signing_certificate().user_pool_id("us-east-1_Nope12345").send().await;
    assert_eq!(
        missing.map_err(error).unwrap_err(),
        ("ResourceNotFoundException".into(), "User pool us-east-1_Nope12345 does not exist.".into())
    );
}

#[tokio::test]
async fn a_client_that_does_not_hide_its_users_says_who_cannot_reset() {
    let lab = DemoLab::start().await;
    // The lab's client hides user existence; this one, like an app client created with
    // PreventUserExistenceErrors LEGACY, does not.
    let account = lab.lab.account();
    account
        .cognito
        .write(|s| Ok(s.clients.update(&lab.client_id, |c| c.prevent_user_existence_errors = false)))
        .unwrap()
        .expect("the lab's client");
    let not_found = ("UserNotFoundException".to_string(), "Username/client id combination not found.".to_string());
    assert_eq!(lab.forgot("nobody@example.com").await.unwrap_err(), not_found);
    assert_eq!(lab.confirm("nobody@example.com", "123456", NEW_PASSWORD).await.unwrap_err(), not_found);
    // A user whose email is not verified has nowhere to get a code.
    let unverified = "unverified@example.com";
    let cognito = lab.cognito();
    cognito.admin_create_user().user_pool_id(&lab.pool_id).username(unverified).send().await.unwrap();
    assert_eq!(
        lab.forgot(unverified).await.unwrap_err(),
        ("NotAuthorizedException".into(), "User password cannot be reset in the current state.".into()),
        "not while it must still change its temporary password"
    );
    cognito
        .admin_set_user_password()
        .user_pool_id(&lab.pool_id)
        .username(unverified)
        .password("Chosen-Pass-42")
        .permanent(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        lab.forgot(unverified).await.unwrap_err(),
        (
            "InvalidParameterException".into(),
            "Cannot reset password for the user as there is no registered/verified email or phone_number".into()
        )
    );
    // The demo user, verified, still gets a code.
    assert_eq!(lab.forgot(&lab.username).await.unwrap(), "l***@e***");
}

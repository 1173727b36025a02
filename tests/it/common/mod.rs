//! The harness every integration test shares: a local lab on loopback port 0 with a
//! throwaway state directory, and SDK configuration that points the official clients at it.
//! Beside it: a throwaway walab home for the binary (`home`), the API Gateway tests' tokens and
//! requests (`apigw`), a walkthrough made of fixed data (`walkthrough`) and a buffer drawn as
//! SVG (`svg`).

pub mod apigw;
pub mod home;
pub mod svg;
pub mod walkthrough;

use std::sync::OnceLock;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use walab::locallab::{LabOptions, RunningLab, Timing};
use walab::secret::Secret;

/// One RSA key per test process: generating keys is the slow part of seeding a lab.
pub fn signing_key() -> Secret {
    static KEY: OnceLock<Secret> = OnceLock::new();
    KEY.get_or_init(|| walab::locallab::cognito::generate_signing_key().expect("generate a test key")).clone()
}

pub struct TestLab {
    pub running: RunningLab,
    pub dir: tempfile::TempDir,
}

impl TestLab {
    /// A fresh lab with instant invalidations and deployments.
    pub async fn start() -> TestLab {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir).await
    }

    pub async fn start_in(dir: tempfile::TempDir) -> TestLab {
        let mut options = LabOptions::ephemeral(dir.path());
        options.timing = Timing::INSTANT;
        options.signing_key = Some(signing_key());
        let running = RunningLab::start(options).await.expect("start the local lab");
        TestLab { running, dir }
    }

    pub fn lab(&self) -> &walab::locallab::LocalLab {
        &self.running.lab
    }

    pub fn info(&self) -> walab::locallab::LabInfo {
        self.running.lab.info().expect("the lab has an account")
    }

    /// The lab's one account, for tests that look at its state directly.
    pub fn account(&self) -> std::sync::Arc<walab::locallab::account::Account> {
        self.running.lab.account().expect("the lab has an account")
    }

    /// SDK configuration for the lab: static credentials, its region, retries off.
    pub fn sdk(&self) -> SdkConfig {
        sdk_config(&self.running.endpoints().aws_endpoint_url())
    }

    pub fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk())
    }

    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.sdk())
    }

    pub fn apigateway(&self) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.sdk())
    }

    pub fn cloudfront(&self) -> aws_sdk_cloudfront::Client {
        aws_sdk_cloudfront::Client::new(&self.sdk())
    }

    /// The app client's secret, read the way walab reads it.
    pub async fn client_secret(&self) -> String {
        let info = self.info();
        let described = self
            .cognito()
            .describe_user_pool_client()
            .user_pool_id(&info.user_pool_id)
            .client_id(&info.app_client_id)
            .send()
            .await
            .expect("DescribeUserPoolClient");
        described.user_pool_client().and_then(|c| c.client_secret()).expect("the lab's client has a secret").to_string()
    }

    /// The demo user's tokens, signed in the lab's way (AdminInitiateAuth with the secret hash).
    pub async fn demo_tokens(&self) -> aws_sdk_cognitoidentityprovider::types::AuthenticationResultType {
        let info = self.info();
        let user = &info.demo_user.username;
        let hash = walab::token::secret_hash(user, &info.app_client_id, &self.client_secret().await);
        let auth = self
            .cognito()
            .admin_initiate_auth()
            .user_pool_id(&info.user_pool_id)
            .client_id(&info.app_client_id)
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", user)
            .auth_parameters("PASSWORD", info.demo_user.password.expose())
            .auth_parameters("SECRET_HASH", hash)
            .send()
            .await
            .expect("the demo user signs in");
        auth.authentication_result().expect("tokens").clone()
    }

    /// The rows of `kind` committed to the lab's store, as JSON, in key order (read from the
    /// database, not from the services' memory; the store holds the database exclusively).
    pub fn stored(&self, kind: &str) -> Vec<serde_json::Value> {
        let bodies = self.lab().store.bodies_of_kind(kind).expect("read the lab's store");
        bodies.iter().map(|body| serde_json::from_slice(body).expect("a JSON row")).collect()
    }

    /// Stops the lab and hands back its state directory, for restart tests.
    pub async fn stop(self) -> tempfile::TempDir {
        self.running.shutdown().await.expect("shut down cleanly");
        self.dir
    }
}

pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDLOCALLAB",
            "local-lab-secret",
            None,
            None,
            "walab-tests",
        )))
        .retry_config(RetryConfig::disabled())
        .build()
}

/// An HTTP client for the edge and invoke listeners.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().build().expect("http client")
}

/// The rows of `kind` in the store of the lab in `dir`, as JSON, in key order.
pub fn stored_rows(dir: &std::path::Path, kind: &str) -> Vec<serde_json::Value> {
    let db = rusqlite::Connection::open(dir.join("lab.sqlite3")).expect("open the lab's store");
    let mut statement = db.prepare("SELECT body FROM records WHERE kind = ?1 ORDER BY account, key").expect("query");
    let rows = statement.query_map([kind], |row| row.get::<_, Vec<u8>>(0)).expect("rows");
    rows.map(|body| serde_json::from_slice(&body.expect("a row")).expect("a JSON row")).collect()
}

/// An SDK error as (code, message), to compare with what the service answers.
pub fn error<E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata, R>(
    e: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>,
) -> (String, String) {
    use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata as _;
    (e.code().unwrap_or_default().to_string(), e.message().unwrap_or_default().to_string())
}

/// A lab with its pool, app client, secret and demo user at hand.
pub struct DemoLab {
    pub lab: TestLab,
    pub pool_id: String,
    pub client_id: String,
    pub secret: String,
    pub username: String,
    pub password: String,
}

impl DemoLab {
    pub async fn start() -> DemoLab {
        let lab = TestLab::start().await;
        let info = lab.info();
        let secret = lab.client_secret().await;
        DemoLab {
            pool_id: info.user_pool_id,
            client_id: info.app_client_id,
            secret,
            username: info.demo_user.username,
            password: info.demo_user.password.expose().to_string(),
            lab,
        }
    }

    pub fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        self.lab.cognito()
    }

    /// InitiateAuth with `USER_SRP_AUTH` for `username`: the client and the challenge.
    pub async fn srp_begin(
        &self,
        username: &str,
    ) -> Result<(walab::srp::SrpClient, std::collections::HashMap<String, String>), (String, String)> {
        let client = walab::srp::SrpClient::new(&self.pool_id).unwrap();
        let out = self
            .lab
            .cognito()
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserSrpAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("SRP_A", client.srp_a())
            .auth_parameters("SECRET_HASH", walab::token::secret_hash(username, &self.client_id, &self.secret))
            .send()
            .await
            .map_err(error)?;
        assert_eq!(
            out.challenge_name(),
            Some(&aws_sdk_cognitoidentityprovider::types::ChallengeNameType::PasswordVerifier)
        );
        assert!(out.authentication_result().is_none());
        Ok((client, out.challenge_parameters().cloned().unwrap_or_default()))
    }

    /// Answers the challenge with the claim for `password`.
    pub async fn srp_answer(
        &self,
        client: &walab::srp::SrpClient,
        challenge: &std::collections::HashMap<String, String>,
        password: &str,
    ) -> Result<aws_sdk_cognitoidentityprovider::types::AuthenticationResultType, (String, String)> {
        let user_id = &challenge["USER_ID_FOR_SRP"];
        let parameters = walab::srp::ChallengeParameters {
            srp_b: challenge["SRP_B"].clone(),
            salt: challenge["SALT"].clone(),
            secret_block: challenge["SECRET_BLOCK"].clone(),
        };
        let stamp = walab::srp::timestamp(1_793_696_707);
        let signature = client.password_claim_signature(user_id, password, &parameters, &stamp).unwrap();
        let out = self
            .lab
            .cognito()
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(aws_sdk_cognitoidentityprovider::types::ChallengeNameType::PasswordVerifier)
            .challenge_responses("USERNAME", challenge["USERNAME"].clone())
            .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", parameters.secret_block.clone())
            .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
            .challenge_responses("TIMESTAMP", stamp)
            .challenge_responses(
                "SECRET_HASH",
                walab::token::secret_hash(&challenge["USERNAME"], &self.client_id, &self.secret),
            )
            .send()
            .await
            .map_err(error)?;
        Ok(out.authentication_result().cloned().expect("tokens"))
    }
}

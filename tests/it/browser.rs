//! The hosted UI in a real browser: headless Chromium, driven over WebDriver by chromedriver,
//! opens `CognitoSignupURL`, signs up, follows the confirmation link from the outbox page,
//! signs in, and lands on walab's callback page with tokens that verify against the pool's
//! JWKS. Then `walab check` passes all twelve checks as the user who signed up that way.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without
//! chromedriver the test says so and passes. The WebDriver client is the few W3C WebDriver
//! calls the test makes, over reqwest.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Flags that let Chromium run headless in a container, offline, with nothing of its own
/// reaching the network.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

pub(crate) fn find_on_path(names: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

/// A running chromedriver, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    pub(crate) fn start(binary: &std::path::Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // chromedriver says when it listens; nothing is sent before that line.
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.by_ref().map_while(Result::ok).any(|line| line.contains("started successfully"));
        assert!(ready, "chromedriver did not start");
        std::thread::spawn(move || lines.for_each(drop));
        Driver { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver session.
pub(crate) struct Browser {
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub(crate) async fn open(driver: &Driver, chromium: &std::path::Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        }}});
        let created: Value = http
            .post(format!("{}/session", driver.url))
            .json(&capabilities)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}"));
        let browser = Browser { http, session: format!("{}/session/{session}", driver.url), _profile: profile };
        // Finding an element waits up to this long for it to appear (a page still loading).
        browser.call(reqwest::Method::POST, "/timeouts", json!({ "implicit": 20_000 })).await;
        browser
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let request = self.http.request(method, format!("{}{path}", self.session));
        let request = if body.is_null() { request } else { request.json(&body) };
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(answer["value"].get("error").is_none(), "WebDriver {path}: {answer}");
        answer["value"].clone()
    }

    pub(crate) async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    pub(crate) async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null).await.as_str().unwrap().to_string()
    }

    pub(crate) async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", Value::Null).await.as_str().unwrap().to_string()
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let found =
            self.call(reqwest::Method::POST, "/element", json!({ "using": "css selector", "value": css })).await;
        let id = found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str);
        id.unwrap_or_else(|| panic!("no element {css}")).to_string()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/click"), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{element}/value"), json!({ "text": text })).await;
    }

    async fn value_of(&self, css: &str) -> String {
        let element = self.find(css).await;
        let value = self.call(reqwest::Method::GET, &format!("/element/{element}/property/value"), Value::Null).await;
        value.as_str().unwrap_or_default().to_string()
    }

    pub(crate) async fn close(self) {
        let _ = self.http.delete(&self.session).send().await;
    }
}

#[tokio::test]
async fn a_learner_signs_up_and_in_through_the_hosted_ui_in_chromium() {
    let (Some(chromedriver), Some(chromium)) =
        (find_on_path(&["chromedriver"]), find_on_path(&["chromium", "chromium-browser", "google-chrome"]))
    else {
        eprintln!("note: chromedriver or chromium is not installed; skipping the browser test (.ci/run installs them)");
        return;
    };
    let lab = common::TestLab::start().await;
    let info = lab.info();
    let outputs = lab.account().outputs(walab::names::EDGE_STACK);
    let signup_url = outputs.iter().find(|o| o.key == "CognitoSignupURL").map(|o| o.value.clone()).unwrap();
    assert!(signup_url.starts_with(&info.aws_endpoint_url), "{signup_url}");

    let driver = tokio::task::spawn_blocking(move || Driver::start(&chromedriver)).await.unwrap();
    let browser = Browser::open(&driver, &chromium).await;
    let (email, password) = ("browser.learner@example.com", "Chromium-Pass-1");

    // CognitoSignupURL opens the sign-in page; its link leads to sign-up. Each step waits for
    // an element only the next page has (WebDriver's implicit wait), never for a time.
    browser.go(&signup_url).await;
    browser.click("a[href^='/signup?']").await;
    browser.type_into("#username", email).await;
    browser.type_into("#password", "weak").await;
    browser.click("button[type=submit]").await;
    browser.find("#form-error li").await;
    assert!(browser.source().await.contains("does not meet the policy"), "the policy is enforced on the page");
    browser.type_into("#password", password).await;
    browser.click("button[type=submit]").await;
    browser.find("p[role=status]").await;
    assert!(browser.source().await.contains("Check your email"));

    // The confirmation link, from the outbox page, confirms the account.
    browser.go(&format!("{}/_walab/outbox", info.aws_endpoint_url)).await;
    browser.click("a[href*='/confirmUser?']").await;
    browser.find("main a[href^='/login?']").await;
    assert!(browser.source().await.contains("Account confirmed"));

    // Signing in lands on walab's callback page, which shows the tokens.
    browser.click("main a[href^='/login?']").await;
    browser.type_into("#username", email).await;
    browser.type_into("#password", password).await;
    browser.click("button[type=submit]").await;
    browser.find("#id-token").await;
    let landed = browser.url().await;
    let callback = format!("{}/_walab/callback?client_id={}&code=", info.aws_endpoint_url, info.app_client_id);
    assert!(landed.starts_with(&callback), "{landed}");
    let id_token = browser.value_of("#id-token").await;
    browser.close().await;
    drop(driver);

    let jwks_url = format!("{}/{}/.well-known/jwks.json", info.aws_endpoint_url, info.user_pool_id);
    let jwks = walab::token::fetch_jwks(&jwks_url, Duration::from_secs(10)).await.unwrap();
    let issuer = format!("https://cognito-idp.us-east-1.amazonaws.com/{}", info.user_pool_id);
    let expected = walab::token::Expected {
        issuer: &issuer,
        client_id: &info.app_client_id,
        token_use: walab::token::TokenUse::Id,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = walab::token::verify(&id_token, &jwks, &expected, now).expect("the ID token verifies");
    assert_eq!(claims["email"], email);

    // With that user, the rest of section 5 done, every check passes.
    let config = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let walab = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_walab"));
        cmd.env("WALAB_CONFIG_DIR", config.path())
            .env("WALAB_DATA_DIR", data.path())
            .env("NO_COLOR", "1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &info.aws_endpoint_url)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", config.path().join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", config.path().join("no-aws-credentials"))
            .env("WALAB_USERNAME", email)
            .env("WALAB_PASSWORD", password)
            .env_remove("AWS_PROFILE")
            .args(["--target", "aws", "--region", "us-east-1"])
            .args(args);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let solved = walab(&["check", "--solve", "--yes"]).await.unwrap();
    assert!(solved.status.success(), "{}", String::from_utf8_lossy(&solved.stdout));
    let checked = walab(&["check", "--json"]).await.unwrap();
    let report: Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!((report["passed"].as_u64(), report["failed"].as_u64()), (Some(12), Some(0)), "{report:#}");
}

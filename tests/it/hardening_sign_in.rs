//! Sign-in hardened as Cognito's: the lock-out after repeated wrong passwords (API sign-ins and
//! hosted UI alike, growing 2^(n-5) seconds), and the hosted UI's forms refused from another
//! origin — through headless Chromium where a browser matters.

use crate::browser::{Browser, Driver, find_on_path};
use crate::common;

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;

/// AdminInitiateAuth with a password: Ok(()) or the error's (code, message).
async fn sign_in(lab: &common::DemoLab, password: &str) -> Result<(), (String, String)> {
    let username = &lab.username;
    lab.lab
        .cognito()
        .admin_initiate_auth()
        .user_pool_id(&lab.pool_id)
        .client_id(&lab.client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", username)
        .auth_parameters("PASSWORD", password)
        .auth_parameters("SECRET_HASH", walab::token::secret_hash(username, &lab.client_id, &lab.secret))
        .send()
        .await
        .map(drop)
        .map_err(common::error)
}

/// The hosted UI's sign-in as a browser on the lab's own page sends it: the page's CSRF
/// cookie and token, the same Origin. The page's text comes back.
async fn hosted_sign_in(lab: &common::DemoLab, password: &str) -> (u16, String) {
    let info = lab.lab.info();
    let signup_url = lab
        .lab
        .account()
        .outputs(walab::names::EDGE_STACK)
        .into_iter()
        .find(|o| o.key == "CognitoSignupURL")
        .map(|o| o.value)
        .unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(&signup_url).send().await.unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let body = page.text().await.unwrap();
    let token = body.split("name=\"_csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let query = signup_url.split_once('?').unwrap().1;
    let form: String = form_urlencoded::Serializer::new(query.to_string())
        .append_pair("_csrf", &token)
        .append_pair("username", &lab.username)
        .append_pair("password", password)
        .finish();
    let answer = http
        .post(format!("{}/login", info.aws_endpoint_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &info.aws_endpoint_url)
        .header("cookie", cookie)
        .body(form)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn wrong_passwords_lock_the_user_out_with_a_growing_lock_on_the_api_and_the_hosted_ui() {
    let lab = common::DemoLab::start().await;
    let clock = &lab.lab.lab().clock;
    let right = lab.password.clone();
    let wrong = "Wrong-passw0rd!";
    for _ in 0..4 {
        assert_eq!(sign_in(&lab, wrong).await.unwrap_err().1, "Incorrect username or password.");
    }
    assert!(sign_in(&lab, &right).await.is_ok(), "four failures lock nobody out; a success starts the count again");

    // Ten failures in a row: each one after the lock before it ended, so every one counts,
    // and the tenth locks for 2^(10-5) = 32 seconds. The hosted UI's wrong passwords count too.
    for n in 1..=10u32 {
        if n % 2 == 0 {
            let (status, page) = hosted_sign_in(&lab, wrong).await;
            assert_eq!(status, 400, "{page}");
            assert!(page.contains("Incorrect email or password."), "failure {n}: {page}");
        } else {
            let refused = sign_in(&lab, wrong).await.unwrap_err();
            assert_eq!(refused, ("NotAuthorizedException".into(), "Incorrect username or password.".into()), "{n}");
        }
        if (5..10).contains(&n) {
            clock.advance(Duration::from_secs(1 << (n - 5)));
        }
    }
    let locked = sign_in(&lab, &right).await.unwrap_err();
    // The loop waited out the locks after the fifth to the ninth failure; the tenth's is on.
    assert_eq!(locked, ("NotAuthorizedException".into(), "Password attempts exceeded".into()));
    let (status, page) = hosted_sign_in(&lab, &right).await;
    assert_eq!(status, 400);
    assert!(page.contains("Password attempts exceeded"), "{page}");
    // Attempts during a lock do not lengthen it.
    assert!(sign_in(&lab, wrong).await.unwrap_err().1.contains("Password attempts exceeded"));
    clock.advance(Duration::from_secs(16));
    assert!(sign_in(&lab, &right).await.unwrap_err().1.contains("Password attempts exceeded"), "not over yet");
    clock.advance(Duration::from_secs(16));
    assert!(sign_in(&lab, &right).await.is_ok(), "over after 32 seconds");
    let (status, page) = hosted_sign_in(&lab, &right).await;
    assert_eq!(status, 302, "{page}");
}

#[tokio::test]
async fn a_form_posted_from_another_origin_signs_nobody_in() {
    let lab = common::DemoLab::start().await;
    let info = lab.lab.info();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &lab.client_id)
        .append_pair("response_type", "code")
        .append_pair(
            "redirect_uri",
            &walab::locallab::cognito::hosted_ui::callback_url(&info.aws_endpoint_url, &lab.client_id),
        )
        .append_pair("username", &lab.username)
        .append_pair("password", &lab.password)
        .finish();
    let answer = http
        .post(format!("{}/login", info.aws_endpoint_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "http://attacker.example")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 403);
    assert!(answer.headers().get("set-cookie").is_none() && answer.headers().get("location").is_none());
    assert_eq!(answer.headers()["x-frame-options"], "DENY");
    assert!(answer.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

// ---- in Chromium ---------------------------------------------------------------------------

/// Serves one page, to every request, on a port of its own: the attacker's site.
async fn attacker_site(page: String) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut head = [0u8; 4096];
                let _ = stream.read(&mut head).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn in_chromium_a_cross_site_auto_submitted_sign_in_form_signs_nobody_in() {
    let (Some(chromedriver), Some(chromium)) =
        (find_on_path(&["chromedriver"]), find_on_path(&["chromium", "chromium-browser", "google-chrome"]))
    else {
        eprintln!("note: chromedriver or chromium is not installed; skipping the browser test (.ci/run installs them)");
        return;
    };
    let lab = common::DemoLab::start().await;
    let info = lab.lab.info();
    let callback = walab::locallab::cognito::hosted_ui::callback_url(&info.aws_endpoint_url, &lab.client_id);
    // The attacker's page, on another site (localhost, not 127.0.0.1), posts the attacker's own
    // credentials to the lab's sign-in as soon as it loads.
    let field = |name: &str, value: &str| format!("<input type=hidden name=\"{name}\" value=\"{value}\">");
    let page = format!(
        "<!doctype html><html><body><form id=f method=post action=\"{}/login\">{}{}{}{}{}</form>\
         <script>document.getElementById('f').submit()</script></body></html>",
        info.aws_endpoint_url,
        field("client_id", &lab.client_id),
        field("response_type", "code"),
        field("redirect_uri", &callback),
        field("username", &lab.username),
        field("password", &lab.password),
    );
    let port = attacker_site(page).await;

    let driver = tokio::task::spawn_blocking(move || Driver::start(&chromedriver)).await.unwrap();
    let browser = Browser::open(&driver, &chromium).await;
    browser.go(&format!("http://localhost:{port}/")).await;
    // The submitted form lands on the lab's answer: a page with one heading.
    browser.find("h1").await;
    let landed = browser.url().await;
    let source = browser.source().await;
    assert!(!landed.contains("code="), "the forged form signed the browser in: {landed}");
    assert!(source.contains("did not come from this sign-in page"), "{landed}: {source}");

    // Nobody is signed in in this browser: the authorize endpoint asks for a sign-in.
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &lab.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &callback)
        .finish();
    browser.go(&format!("{}/oauth2/authorize?{query}", info.aws_endpoint_url)).await;
    browser.find("h1").await;
    let after = browser.url().await;
    assert!(after.starts_with(&format!("{}/login?", info.aws_endpoint_url)), "{after}");
    browser.close().await;
}

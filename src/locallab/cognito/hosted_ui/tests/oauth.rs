//! The hosted UI's OAuth side: `/oauth2/authorize` and its refusals, the token endpoint's
//! RFC 6749 errors, PKCE, sessions per pool, `/oauth2/userInfo` and `/logout`.

use super::*;

#[tokio::test]
async fn authorize_refuses_bad_requests_on_a_page_or_back_at_the_app() {
    let lab = Lab::new();
    // The client and redirect URI cannot be trusted: a page, never a redirect.
    for query in [
        auth_query("nobody", &[]),
        form(&[("client_id", CLIENT), ("response_type", "code"), ("redirect_uri", "https://evil.example/cb")]),
        form(&[("client_id", CLIENT), ("response_type", "code")]),
        format!("{}&client_id={CLIENT}", auth_query(CLIENT, &[])),
    ] {
        let answer = lab.get(&format!("/oauth2/authorize?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(answer.headers.get(header::LOCATION).is_none());
    }
    // The rest goes back to the app with the error and the state.
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("response_type", "token")], "unsupported_response_type"),
        (&[("scope", "openid phone")], "invalid_scope"),
        (&[("code_challenge", "short")], "invalid_request"),
        (&[("code_challenge", &"a".repeat(43)), ("code_challenge_method", "S512")], "invalid_request"),
    ];
    for (extra, error) in cases {
        let mut pairs = vec![("client_id", CLIENT), ("redirect_uri", CALLBACK), ("state", "st")];
        if !extra.iter().any(|(k, _)| *k == "response_type") {
            pairs.push(("response_type", "code"));
        }
        pairs.extend_from_slice(extra);
        let answer = lab.get(&format!("/oauth2/authorize?{}", form(&pairs))).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{error}");
        let location = answer.location();
        assert!(location.starts_with(CALLBACK));
        assert_eq!(query_value(&location, "error").as_deref(), Some(error));
        assert_eq!(query_value(&location, "state").as_deref(), Some("st"));
    }
    let long = lab.get(&format!("/oauth2/authorize?{}&x={}", auth_query(CLIENT, &[]), "a".repeat(MAX_QUERY))).await;
    assert_eq!(long.status, StatusCode::URI_TOO_LONG);
}

#[tokio::test]
async fn the_token_endpoint_answers_rfc_6749s_errors() {
    let lab = Lab::new();
    lab.confirmed_user().await;
    let good = basic(CLIENT, SECRET);
    let auth = [("authorization", good.as_str())];

    let missing = lab.post_form("/oauth2/token", &auth, form(&[("code", "x")])).await;
    assert_eq!((missing.status, missing.json()["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_request")));
    let unknown = lab.post_form("/oauth2/token", &auth, form(&[("grant_type", "magic")])).await;
    assert_eq!(
        (unknown.status, unknown.json()["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("unsupported_grant_type"))
    );
    let json_body = lab
        .send(
            Method::POST,
            "/oauth2/token",
            &[("content-type", "application/json")],
            "{\"grant_type\":\"authorization_code\"}",
        )
        .await;
    assert_eq!(json_body.json()["error"], "invalid_request");

    let code = lab.code(CLIENT, &[]).await;
    let wrong_secret = basic(CLIENT, "not-the-secret");
    let refused = lab.exchange(&code, &[("authorization", &wrong_secret)], &[]).await;
    assert_eq!((refused.status, refused.json()["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_client")));
    assert!(refused.headers.contains_key(header::WWW_AUTHENTICATE));
    let no_secret = lab.exchange(&code, &[], &[("client_id", CLIENT)]).await;
    assert_eq!(no_secret.json()["error"], "invalid_client");
    let both = lab.exchange(&code, &auth, &[("client_secret", SECRET)]).await;
    assert_eq!(both.json()["error"], "invalid_request");
    let nobody = lab.exchange(&code, &[], &[("client_id", "nobody")]).await;
    assert_eq!(nobody.json()["error"], "invalid_client");

    // The code is still good after refused clients, and works exactly once.
    assert_eq!(lab.exchange(&code, &auth, &[]).await.status, StatusCode::OK);
    let reused = lab.exchange(&code, &auth, &[]).await;
    assert_eq!((reused.status, reused.json()["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_grant")));

    let code = lab.code(CLIENT, &[]).await;
    let elsewhere = lab
        .post_form(
            "/oauth2/token",
            &auth,
            form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://example.com/callback"),
            ]),
        )
        .await;
    assert_eq!(elsewhere.json()["error"], "invalid_grant");

    let code = lab.code(CLIENT, &[]).await;
    lab.fake.now.fetch_add(CODE_LIFETIME_MS + 1, Ordering::Relaxed);
    assert_eq!(lab.exchange(&code, &auth, &[]).await.json()["error"], "invalid_grant", "expired");

    let public_code = lab.code(PUBLIC_CLIENT, &[]).await;
    assert_eq!(lab.exchange(&public_code, &auth, &[]).await.json()["error"], "invalid_grant", "another client's code");

    let bad_refresh = lab
        .post_form("/oauth2/token", &auth, form(&[("grant_type", "refresh_token"), ("refresh_token", "nope")]))
        .await;
    assert_eq!(bad_refresh.json()["error"], "invalid_grant");
    let too_big = lab.post_form("/oauth2/token", &auth, "a".repeat(MAX_BODY + 1)).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn pkce_binds_the_code_to_its_verifier() {
    let lab = Lab::new();
    lab.confirmed_user().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let s256 = [("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), ("code_challenge_method", "S256")];
    let public = [("client_id", PUBLIC_CLIENT)];

    let code = lab.code(PUBLIC_CLIENT, &s256).await;
    assert_eq!(lab.exchange(&code, &[], &public).await.json()["error"], "invalid_grant", "no verifier");
    let code = lab.code(PUBLIC_CLIENT, &s256).await;
    let wrong = [("client_id", PUBLIC_CLIENT), ("code_verifier", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")];
    assert_eq!(lab.exchange(&code, &[], &wrong).await.json()["error"], "invalid_grant");
    let code = lab.code(PUBLIC_CLIENT, &s256).await;
    let right = [("client_id", PUBLIC_CLIENT), ("code_verifier", verifier)];
    assert_eq!(lab.exchange(&code, &[], &right).await.status, StatusCode::OK);

    let code = lab.code(PUBLIC_CLIENT, &[("code_challenge", verifier), ("code_challenge_method", "plain")]).await;
    assert_eq!(lab.exchange(&code, &[], &right).await.status, StatusCode::OK);

    // walab's callback page leaves a PKCE code to the app that holds the verifier.
    let code = lab.code(PUBLIC_CLIENT, &s256).await;
    let page = lab.get(&format!("{CALLBACK_PATH}?code={code}")).await;
    assert!(page.body.contains("PKCE") && !page.body.contains("ID token"));
    assert_eq!(lab.exchange(&code, &[], &right).await.status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_belong_to_one_pool() {
    let lab = Lab::new();
    lab.confirmed_user().await;
    let signed_in = lab.sign_in(CLIENT, EMAIL, PASSWORD, &[]).await;
    let cookie = signed_in.cookie();
    let same_pool = lab.get_with_cookie(&format!("/login?{}", auth_query(PUBLIC_CLIENT, &[])), &cookie).await;
    assert_eq!(same_pool.status, StatusCode::FOUND, "the pool's other client needs no new sign-in");
    let other_pool = lab.get_with_cookie(&format!("/login?{}", auth_query(OTHER_CLIENT, &[])), &cookie).await;
    assert_eq!(other_pool.status, StatusCode::OK, "another pool asks to sign in");
    lab.fake.now.fetch_add(SESSION_LIFETIME_MS + 1, Ordering::Relaxed);
    let expired = lab.get_with_cookie(&format!("/login?{}", auth_query(CLIENT, &[])), &cookie).await;
    assert_eq!(expired.status, StatusCode::OK);
}

#[tokio::test]
async fn user_info_wants_a_valid_bearer_token() {
    let lab = Lab::new();
    let none = lab.send(Method::GET, "/oauth2/userInfo", &[], axum::body::Body::empty()).await;
    assert_eq!((none.status, none.json()["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_request")));
    let bad =
        lab.send(Method::GET, "/oauth2/userInfo", &[("authorization", "Bearer abc")], axum::body::Body::empty()).await;
    assert_eq!((bad.status, bad.json()["error"].clone()), (StatusCode::UNAUTHORIZED, json!("invalid_token")));
    assert!(bad.headers[header::WWW_AUTHENTICATE].to_str().unwrap().starts_with("Bearer error=\"invalid_token\""));
}

#[tokio::test]
async fn logout_goes_only_where_the_client_allows() {
    let lab = Lab::new();
    let stranger = lab.get(&format!("/logout?client_id={CLIENT}&logout_uri=https://evil.example/")).await;
    assert_eq!(stranger.status, StatusCode::BAD_REQUEST);
    assert!(stranger.headers.get(header::LOCATION).is_none());
    let unknown = lab.get("/logout?client_id=nobody").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let relogin = lab.get(&format!("/logout?{}", auth_query(CLIENT, &[]))).await;
    assert_eq!(relogin.status, StatusCode::FOUND);
    assert!(relogin.location().starts_with("/login?client_id="));
    let plain = lab.get(&format!("/logout?client_id={CLIENT}")).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.body.contains("Signed out"));
}

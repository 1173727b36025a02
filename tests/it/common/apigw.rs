//! What the API Gateway tests share: tokens minted exactly as the lab's pool would mint them
//! (its key, its claims), the lab's step 5.3 done through the official SDK, and requests to
//! the invoke listener as CloudFront would send them.

use serde_json::{Value, json};

use super::{TestLab, http};

/// The lab's pool, app client and demo user, as a token needs them.
pub struct Pool {
    pub id: String,
    pub arn: String,
    pub issuer: String,
    pub client_id: String,
    pub sub: String,
    pub email: String,
}

pub fn pool(lab: &TestLab) -> Pool {
    lab.account().cognito.read(|s| {
        let (pool, client) = s.lab_pool_and_client().expect("the lab's pool");
        let user = s.users.with_prefix(&format!("{}/", pool.id)).next().expect("the demo user");
        Pool {
            id: pool.id.clone(),
            arn: pool.arn.clone(),
            issuer: pool.issuer(),
            client_id: client.id.clone(),
            sub: user.sub().to_string(),
            email: user.email().unwrap_or_default().to_string(),
        }
    })
}

/// An ID token's claims as Cognito writes them, issued now and valid 60 minutes.
pub fn id_claims(lab: &TestLab) -> Value {
    let p = pool(lab);
    let now = lab.lab().clock.now_secs();
    let jti = uuid::Uuid::new_v4().to_string();
    json!({
        "sub": p.sub, "email_verified": true, "iss": p.issuer, "cognito:username": p.sub,
        "origin_jti": uuid::Uuid::new_v4().to_string(), "aud": p.client_id,
        "event_id": uuid::Uuid::new_v4().to_string(), "token_use": "id", "auth_time": now,
        "exp": now + 3600, "iat": now, "jti": jti, "email": p.email,
    })
}

/// An access token's claims: `client_id` instead of `aud`, a scope, no email.
pub fn access_claims(lab: &TestLab) -> Value {
    let p = pool(lab);
    let now = lab.lab().clock.now_secs();
    json!({
        "sub": p.sub, "iss": p.issuer, "client_id": p.client_id,
        "origin_jti": uuid::Uuid::new_v4().to_string(), "event_id": uuid::Uuid::new_v4().to_string(),
        "token_use": "access", "scope": "aws.cognito.signin.user.admin", "auth_time": now,
        "exp": now + 3600, "iat": now, "jti": uuid::Uuid::new_v4().to_string(), "username": p.sub,
    })
}

/// Signs claims with the pool's own key and kid.
pub fn sign(lab: &TestLab, claims: &Value) -> String {
    let pool_id = pool(lab).id;
    walab::locallab::cognito::signer(&lab.account().cognito, &pool_id)
        .expect("the pool's signer")
        .sign(claims)
        .expect("sign")
}

pub fn id_token(lab: &TestLab) -> String {
    sign(lab, &id_claims(lab))
}

pub fn access_token(lab: &TestLab) -> String {
    sign(lab, &access_claims(lab))
}

/// The API, its root resource and the validator the seed put on `GET /`.
pub struct Api {
    pub id: String,
    pub root: String,
}

pub async fn api(lab: &TestLab) -> Api {
    api_via(&lab.apigateway()).await
}

/// The account's one REST API, as `client` (any account's credentials) sees it.
pub async fn api_via(client: &aws_sdk_apigateway::Client) -> Api {
    let apis = client.get_rest_apis().send().await.expect("GetRestApis");
    let api = &apis.items()[0];
    Api { id: api.id().unwrap_or_default().into(), root: api.root_resource_id().unwrap_or_default().into() }
}

/// Step 5.3 without the deploy: a Cognito authorizer for the pool, set on `GET /`.
pub async fn protect(lab: &TestLab) -> (Api, String) {
    let api = api(lab).await;
    let authorizer_id = protect_api(&lab.apigateway(), &api, &pool(lab).arn).await;
    (api, authorizer_id)
}

/// Step 5.3 without the deploy on `api` through `client`: a Cognito authorizer for the pool
/// `pool_arn`, set on `GET /`; its id.
pub async fn protect_api(client: &aws_sdk_apigateway::Client, api: &Api, pool_arn: &str) -> String {
    let authorizer = client
        .create_authorizer()
        .rest_api_id(&api.id)
        .name("walab-cognito")
        .r#type(aws_sdk_apigateway::types::AuthorizerType::CognitoUserPools)
        .provider_arns(pool_arn)
        .identity_source("method.request.header.Authorization")
        .send()
        .await
        .expect("CreateAuthorizer");
    let authorizer_id = authorizer.id().expect("authorizer id").to_string();
    client
        .update_method()
        .rest_api_id(&api.id)
        .resource_id(&api.root)
        .http_method("GET")
        .patch_operations(replace("/authorizationType", "COGNITO_USER_POOLS"))
        .patch_operations(replace("/authorizerId", &authorizer_id))
        .send()
        .await
        .expect("UpdateMethod");
    authorizer_id
}

pub async fn deploy(lab: &TestLab, api: &Api) -> String {
    let deployment =
        lab.apigateway().create_deployment().rest_api_id(&api.id).stage_name("Dev").send().await.expect("deploy");
    deployment.id().expect("deployment id").to_string()
}

pub fn patch(op: aws_sdk_apigateway::types::Op, path: &str, value: &str) -> aws_sdk_apigateway::types::PatchOperation {
    aws_sdk_apigateway::types::PatchOperation::builder().op(op).path(path).value(value).build()
}

pub fn replace(path: &str, value: &str) -> aws_sdk_apigateway::types::PatchOperation {
    patch(aws_sdk_apigateway::types::Op::Replace, path, value)
}

/// The secret CloudFront adds as `X-Origin-Verify`.
pub fn origin_secret(lab: &TestLab) -> String {
    walab::locallab::waf::acls(&lab.account().waf).header_value.expose().to_string()
}

pub fn invoke_url(lab: &TestLab, path_and_query: &str) -> String {
    format!("http://{}{path_and_query}", lab.running.endpoints().invoke)
}

/// What the invoke listener answered: status, error type header, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub error_type: Option<String>,
    pub request_id: bool,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A GET to the invoke listener as CloudFront sends it (with the origin header), with an
/// optional `Authorization` value.
pub async fn get(lab: &TestLab, path_and_query: &str, authorization: Option<&str>) -> Answer {
    get_with(lab, path_and_query, Some(&origin_secret(lab)), authorization).await
}

pub async fn get_with(
    lab: &TestLab,
    path_and_query: &str,
    origin: Option<&str>,
    authorization: Option<&str>,
) -> Answer {
    let mut request = http().get(invoke_url(lab, path_and_query));
    if let Some(origin) = origin {
        request = request.header("X-Origin-Verify", origin);
    }
    if let Some(token) = authorization {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.expect("the invoke listener answers");
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let error_type = header("x-amzn-errortype");
    let request_id = header("x-amzn-requestid").is_some();
    Answer { status: response.status().as_u16(), error_type, request_id, body: response.text().await.expect("body") }
}

pub const MESSI: &str = r#"["My favorite player is Lionel Messi"]"#;
pub const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;
pub const EXPIRED: &str = r#"{"message":"The incoming token has expired"}"#;
pub const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;

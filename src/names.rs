//! The lab's fixed names: its region, stacks and their output keys, the API and its stage,
//! the authorizer's token source, CloudFront's managed policies. The checks and solves read
//! real AWS by these names and the local lab creates its resources under them, so both sides
//! take them from here and cannot drift apart.

/// The lab's region.
pub const REGION: &str = "us-east-1";

/// The section 3 stack: CloudFront, WAF and the Cognito user pool.
pub const EDGE_STACK: &str = "walab-cdn-waf-cognito";
/// The section 1 stack: the API, its Lambda function and the database.
pub const API_STACK: &str = "walab-api";

/// The stack output keys walab reads (the lab's templates declare them).
pub mod output {
    pub const USER_POOL_ID: &str = "CognitoUserPoolID";
    pub const APP_CLIENT_ID: &str = "CognitoAppClientID";
    pub const SIGNUP_URL: &str = "CognitoSignupURL";
    pub const CLOUDFRONT_ENDPOINT: &str = "CloudFrontEndpoint";
    pub const CLOUDFRONT_CONSOLE: &str = "CloudFrontConsole";
    pub const API_GATEWAY_URL: &str = "APIGatewayURL";
}

/// The lab's REST API.
pub const API_NAME: &str = "wa-lab-rds-api";
/// The stage the lab deploys to.
pub const STAGE: &str = "Dev";
/// The request parameter the API's validator requires (`?id=1`).
pub const ID_PARAMETER: &str = "method.request.querystring.id";
/// Where a Cognito authorizer reads the token: the `Authorization` header.
pub const TOKEN_SOURCE: &str = "method.request.header.Authorization";
/// The authorization type (and authorizer type) of a Cognito authorizer.
pub const COGNITO_USER_POOLS: &str = "COGNITO_USER_POOLS";
/// The name walab gives the authorizer it creates.
pub const AUTHORIZER_NAME: &str = "walab-cognito";

/// The header CloudFront adds for the regional WAF rule.
pub const ORIGIN_VERIFY_HEADER: &str = "X-Origin-Verify";

/// The explicit auth flows of the lab's app client (plain `USER_PASSWORD_AUTH` is not one).
pub const LAB_AUTH_FLOWS: [&str; 4] =
    ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];

/// CloudFront's managed cache policies, by id.
pub mod cache_policy {
    /// The policy most distributions use; its cache key holds no headers.
    pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    pub const CACHING_OPTIMIZED_UNCOMPRESSED: &str = "b2884449-e4de-46a7-ac36-70bc7f1ddd6d";
    /// Caches nothing; its cache key holds no headers.
    pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
}

/// CloudFront's managed origin request policies that send every viewer header to the origin
/// (so `Authorization` reaches it without being in the cache key).
pub mod origin_request_policy {
    pub const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
    pub const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
    pub const ALL_VIEWER_AND_CLOUDFRONT_HEADERS: &str = "33f36d7e-f396-46d9-90e0-52428a34d9dc";
}

/// The lab's pool signs users in by email address (`UsernameAttributes: [email]`): what Cognito
/// takes for one, and what walab records as a username.
pub fn looks_like_email(name: &str) -> bool {
    match name.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !name.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

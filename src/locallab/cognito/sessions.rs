//! Ending sign-ins and reading the pool's users and domain: `GlobalSignOut`,
//! `AdminUserGlobalSignOut`, `RevokeToken`, `ListUsers`, `DescribeUserPoolDomain`.
//!
//! A sign-out or a revocation marks the refresh grants revoked (kept until they expire, so a
//! refresh says "revoked") and remembers the sign-ins' `origin_jti`, by which `GetUser` and
//! `/oauth2/userInfo` refuse the access tokens they issued, as Cognito does.

use serde::Deserialize;
use serde::Serialize;

use super::admin::user_of_access_token;
use super::call::Call;
use super::errors::{invalid_parameter, user_not_found};
use super::input::required;
use super::model::{User, token_digest};
use super::output::{Empty, ListUsersOutput, Observes, UserType};
use crate::locallab::machinery::wire::ApiError;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SessionInput {
    access_token: Option<String>,
    user_pool_id: Option<String>,
    username: Option<String>,
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    domain: Option<String>,
    limit: Option<i64>,
    filter: Option<String>,
    pagination_token: Option<String>,
}

impl Observes for SessionInput {}

pub fn global_sign_out(call: &Call, input: SessionInput) -> Result<Empty, ApiError> {
    let &Call { ctx, cognito } = call;
    let token = required(&input.access_token, "AccessToken")?;
    let user = user_of_access_token(ctx, cognito, token)?;
    cognito.write(|s| {
        s.end_sign_ins(&user.pool_id, &user.username, None);
        Ok(Empty {})
    })
}

pub fn admin_user_global_sign_out(call: &Call, input: SessionInput) -> Result<Empty, ApiError> {
    let cognito = call.cognito;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let name = required(&input.username, "Username")?;
    cognito.write(|s| {
        s.pool(pool_id)?;
        let username = s.find_user(pool_id, name).map(|u| u.username.clone()).ok_or_else(user_not_found)?;
        s.end_sign_ins(pool_id, &username, None);
        Ok(Empty {})
    })
}

/// `RevokeToken`: ends the sign-in a refresh token belongs to. An unknown token is no error
/// (RFC 7009); an ID or access token is not a token this call revokes. Its refusals are the
/// ones Cognito's model declares for it: an unknown client is unauthorized (RFC 7009's
/// `invalid_client`), not a missing resource.
pub fn revoke_token(call: &Call, input: SessionInput) -> Result<Empty, ApiError> {
    let cognito = call.cognito;
    let token = required(&input.token, "Token")?;
    let client_id = required(&input.client_id, "ClientId")?;
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_=.".contains(&b)) {
        return Err(invalid_parameter(
            "1 validation error detected: Value at 'token' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9-_=.]+",
        ));
    }
    if token.split('.').count() == 3 {
        return Err(ApiError::bad_request("UnsupportedTokenTypeException", "Unsupported token type."));
    }
    cognito.write(|s| {
        let client = s
            .clients
            .get(client_id)
            .cloned()
            .ok_or_else(|| ApiError::bad_request("UnauthorizedException", "Invalid client id."))?;
        if let Some(secret) = &client.secret {
            let given = input.client_secret.as_deref().unwrap_or_default();
            if aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), secret.expose().as_bytes()).is_err()
            {
                return Err(ApiError::bad_request("UnauthorizedException", "Invalid client secret."));
            }
        }
        let digest = token_digest(token);
        let grant = s.refresh.get(&digest).filter(|g| g.client_id == client.id).cloned();
        if let Some(grant) = grant {
            s.end_sign_ins(&grant.pool_id, &grant.username, Some(&digest));
        }
        Ok(Empty {})
    })
}

/// The attributes `ListUsers` can filter on, and the user's value for each.
fn filter_value<'u>(user: &'u User, attribute: &str) -> Option<&'u str> {
    match attribute {
        "username" => Some(user.username.as_str()),
        "cognito:user_status" | "status" => Some(user.status.as_str()),
        "sub" | "email" | "phone_number" | "name" | "given_name" | "family_name" | "preferred_username" => {
            user.attributes.get(attribute).map(String::as_str)
        }
        _ => None,
    }
}

/// `email = "a@b.co"` or `email ^= "a@"` (Cognito's two operators).
fn parse_filter(filter: &str) -> Option<(String, bool, String)> {
    let (attribute, rest, prefix) = match filter.split_once("^=") {
        Some((a, r)) => (a, r, true),
        None => filter.split_once('=').map(|(a, r)| (a, r, false))?,
    };
    let value = rest.trim().strip_prefix('"')?.strip_suffix('"')?;
    Some((attribute.trim().to_string(), prefix, value.to_string()))
}

pub fn list_users(call: &Call, input: SessionInput) -> Result<ListUsersOutput, ApiError> {
    let cognito = call.cognito;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let limit = match input.limit {
        None => 60,
        Some(n) if (0..=60).contains(&n) => {
            if n == 0 {
                60
            } else {
                n as usize
            }
        }
        Some(n) => {
            return Err(invalid_parameter(format!(
                "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
            )));
        }
    };
    let filter = match input.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => {
            let parsed = parse_filter(f).ok_or_else(|| invalid_parameter("Invalid search filter"))?;
            if !matches!(
                parsed.0.as_str(),
                "username"
                    | "cognito:user_status"
                    | "status"
                    | "sub"
                    | "email"
                    | "phone_number"
                    | "name"
                    | "given_name"
                    | "family_name"
                    | "preferred_username"
            ) {
                return Err(invalid_parameter(format!("Invalid search attribute: {}", parsed.0)));
            }
            Some(parsed)
        }
    };
    let start = input.pagination_token.as_deref().unwrap_or_default().to_string();
    cognito.read(|s| {
        s.pool(pool_id)?;
        let mut matching = s.users.with_prefix(&format!("{pool_id}/")).filter(|u| match &filter {
            None => true,
            Some((attribute, prefix, value)) => filter_value(u, attribute)
                .is_some_and(|v| if *prefix { v.starts_with(value.as_str()) } else { v == value }),
        });
        let page: Vec<&User> =
            matching.by_ref().filter(|u| u.username > start || start.is_empty()).take(limit).collect();
        let users = page.iter().map(|u| UserType::of(u)).collect();
        let more = matching.next().is_some();
        let pagination_token = page.last().filter(|_| more).map(|last| last.username.clone());
        Ok(ListUsersOutput { users, pagination_token })
    })
}

/// `DescribeUserPoolDomain`: empty for a domain nobody has.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeUserPoolDomainOutput {
    domain_description: DomainDescription,
}

impl Observes for DescribeUserPoolDomainOutput {}

#[derive(Default, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DomainDescription {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_pool_id: Option<String>,
    #[serde(rename = "AWSAccountId", skip_serializing_if = "Option::is_none")]
    aws_account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cloud_front_distribution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_login_version: Option<u32>,
}

pub fn describe_user_pool_domain(call: &Call, input: SessionInput) -> Result<DescribeUserPoolDomainOutput, ApiError> {
    let &Call { ctx, cognito } = call;
    let domain = required(&input.domain, "Domain")?;
    cognito.read(|s| {
        let Some(pool) = s.pools.values().find(|p| p.domain == domain) else {
            // Cognito answers an empty description for a domain nobody has.
            return Ok(DescribeUserPoolDomainOutput { domain_description: DomainDescription::default() });
        };
        let distribution: String = pool.key.kid.chars().filter(char::is_ascii_alphanumeric).take(14).collect();
        let domain_description = DomainDescription {
            user_pool_id: Some(pool.id.clone()),
            aws_account_id: Some(ctx.id.clone()),
            domain: Some(pool.domain.clone()),
            s3_bucket: Some(format!("aws-cognito-prod-{}-assets", ctx.region)),
            cloud_front_distribution: Some(format!("{}.cloudfront.net", distribution.to_ascii_lowercase())),
            version: Some("20230101000000"),
            status: Some("ACTIVE"),
            managed_login_version: Some(1),
        };
        Ok(DescribeUserPoolDomainOutput { domain_description })
    })
}

//! Cognito's refusals, in its own words, and the rules behind them: the secret hash, explicit
//! auth flows, the default password policy.

use super::model::AppClient;
use crate::locallab::machinery::wire::ApiError;

pub fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

pub fn not_authorized(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("NotAuthorizedException", message)
}

pub fn wrong_credentials() -> ApiError {
    not_authorized("Incorrect username or password.")
}

pub fn user_not_found() -> ApiError {
    ApiError::bad_request("UserNotFoundException", "User does not exist.")
}

/// The calls an app client makes for a user (confirming, resending a code, resetting a
/// password) say this of a user the client's pool does not have.
pub fn no_such_user() -> ApiError {
    ApiError::bad_request("UserNotFoundException", "Username/client id combination not found.")
}

pub fn client_not_found(client_id: &str) -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", format!("User pool client {client_id} does not exist."))
}

pub fn pool_not_found(pool_id: &str) -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", format!("User pool {pool_id} does not exist."))
}

pub fn expired_session() -> ApiError {
    not_authorized("Invalid session for the user, session is expired.")
}

/// The secret hash rule: a client with a secret needs `SECRET_HASH` computed over the name the
/// caller used (or the user's real username) and the client id.
pub fn check_secret_hash(client: &AppClient, names: &[&str], provided: Option<&str>) -> Result<(), ApiError> {
    let Some(secret) = &client.secret else { return Ok(()) };
    let Some(provided) = provided else {
        return Err(invalid_parameter(format!(
            "Client {} is configured for secret but secret was not received",
            client.id
        )));
    };
    let ok = names.iter().any(|name| {
        let expected = crate::token::secret_hash(name, &client.id, secret.expose());
        aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), provided.as_bytes()).is_ok()
    });
    if ok { Ok(()) } else { Err(not_authorized(format!("Unable to verify secret hash for client {}", client.id))) }
}

pub fn check_flow(client: &AppClient, flow: &str, needs: &str) -> Result<(), ApiError> {
    if client.explicit_auth_flows.iter().any(|f| f == needs) {
        Ok(())
    } else {
        Err(invalid_parameter(format!("{flow} flow not enabled for this client")))
    }
}

/// Cognito's default password policy: 8 characters with upper, lower, digit and symbol.
pub fn check_password_policy(password: &str) -> Result<(), ApiError> {
    let problem = if password.chars().count() < 8 {
        Some("Password not long enough")
    } else if !password.chars().any(|c| c.is_uppercase()) {
        Some("Password must have uppercase characters")
    } else if !password.chars().any(|c| c.is_lowercase()) {
        Some("Password must have lowercase characters")
    } else if !password.chars().any(|c| c.is_ascii_digit()) {
        Some("Password must have numeric characters")
    } else if !password.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace()) {
        Some("Password must have symbol characters")
    } else {
        None
    };
    match problem {
        Some(p) => {
            Err(ApiError::bad_request("InvalidPasswordException", format!("Password did not conform with policy: {p}")))
        }
        None => Ok(()),
    }
}

pub use crate::names::looks_like_email;

/// `l***@e***`, how Cognito names where it sent a code.
pub fn masked_destination(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    format!("{}***@{}***", first(local), first(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy_names_the_first_problem() {
        let msg = |p: &str| check_password_policy(p).err().map(|e| e.message);
        assert_eq!(msg("Ab1!"), Some("Password did not conform with policy: Password not long enough".into()));
        assert_eq!(
            msg("abcdefg1!"),
            Some("Password did not conform with policy: Password must have uppercase characters".into())
        );
        assert_eq!(
            msg("Abcdefgh!"),
            Some("Password did not conform with policy: Password must have numeric characters".into())
        );
        assert_eq!(
            msg("Abcdefgh1"),
            Some("Password did not conform with policy: Password must have symbol characters".into())
        );
        assert_eq!(msg("Abcdefg1!"), None);
    }

    #[test]
    fn masks_destinations_like_cognito() {
        assert_eq!(masked_destination("learner@example.com"), "l***@e***");
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("alice"));
    }
}

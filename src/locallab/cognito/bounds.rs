//! Cognito's limits on what a request may carry, from its service model (the lengths of
//! `UsernameType`, `PasswordType`, `AttributeNameType`, `AttributeValueType`, …), checked
//! before an operation does anything with its input and refused as Cognito refuses them:
//! `InvalidParameterException`, "1 validation error detected: Value at 'username' failed to
//! satisfy constraint: Member must have length less than or equal to 128". Values are never
//! echoed (most of these members are sensitive).

use serde_json::Value;

use super::errors::invalid_parameter;
use crate::locallab::machinery::wire::ApiError;

/// Top-level string members and their (min, max) lengths in characters.
const MEMBERS: &[(&str, usize, usize)] = &[
    ("Username", 1, 128),
    ("Password", 0, 256),
    ("TemporaryPassword", 0, 256),
    ("ProposedPassword", 0, 256),
    ("PreviousPassword", 0, 256),
    ("ClientId", 1, 128),
    ("SecretHash", 1, 128),
    ("UserPoolId", 1, 55),
    ("ConfirmationCode", 1, 2048),
    // The model's minimum of 20 is left to the session check, which answers a short one as it
    // answers any unknown session (NotAuthorizedException).
    ("Session", 0, 2048),
];

/// Attribute lists (`AttributeListType`) and the lengths of each attribute's name and value.
const ATTRIBUTE_LISTS: &[&str] = &["UserAttributes", "ValidationData"];
const ATTRIBUTE_NAME: (usize, usize) = (1, 32);
const ATTRIBUTE_VALUE_MAX: usize = 2048;
/// A user pool has at most 50 custom attributes besides its standard ones (about 20, `sub`
/// included), so a longer list fits no pool's schema.
pub const MAX_ATTRIBUTES: usize = 70;

/// Refuses `input` (an operation's JSON object) when a member breaks Cognito's limits.
pub fn check(input: &Value) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    for &(member, min, max) in MEMBERS {
        if let Some(Value::String(s)) = input.get(member) {
            length(&mut problems, &camel(member), s, min, max);
        }
    }
    for list in ATTRIBUTE_LISTS {
        let Some(Value::Array(items)) = input.get(*list) else { continue };
        if items.len() > MAX_ATTRIBUTES {
            return Err(invalid_parameter(format!(
                "Attributes did not conform to the schema: {} attributes are more than a user pool holds ({MAX_ATTRIBUTES})",
                items.len()
            )));
        }
        for (i, item) in items.iter().enumerate() {
            let at = format!("{}.{}.member", camel(list), i + 1);
            if let Some(Value::String(name)) = item.get("Name") {
                length(&mut problems, &format!("{at}.name"), name, ATTRIBUTE_NAME.0, ATTRIBUTE_NAME.1);
            }
            if let Some(Value::String(value)) = item.get("Value") {
                length(&mut problems, &format!("{at}.value"), value, 0, ATTRIBUTE_VALUE_MAX);
            }
        }
    }
    match problems.len() {
        0 => Ok(()),
        1 => Err(invalid_parameter(format!("1 validation error detected: {}", problems[0]))),
        n => Err(invalid_parameter(format!("{n} validation errors detected: {}", problems.join("; ")))),
    }
}

/// Notes a string outside `min..=max` characters (counted only as far as needed).
fn length(problems: &mut Vec<String>, at: &str, s: &str, min: usize, max: usize) {
    let over = s.len() > max && s.chars().nth(max).is_some();
    if over {
        problems.push(format!(
            "Value at '{at}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        ));
    } else if s.chars().count() < min {
        problems.push(format!(
            "Value at '{at}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
        ));
    }
}

/// `UserAttributes` → `userAttributes`, as Cognito names members in its messages.
fn camel(member: &str) -> String {
    let mut chars = member.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refused(input: Value) -> String {
        check(&input).unwrap_err().message
    }

    #[test]
    fn each_limit_holds_just_under_and_refuses_just_over() {
        let at = |n: usize| "a".repeat(n);
        assert!(check(&json!({ "Username": at(128), "Password": at(256), "ClientId": at(128) })).is_ok());
        assert_eq!(
            refused(json!({ "Username": at(129) })),
            "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128"
        );
        assert!(refused(json!({ "Password": at(257) })).contains("'password'"));
        assert!(refused(json!({ "Username": "" })).contains("greater than or equal to 1"));
        let attribute = |name: String, value: String| json!({ "UserAttributes": [{ "Name": name, "Value": value }] });
        assert!(check(&attribute(at(32), at(2048))).is_ok());
        assert!(refused(attribute(at(33), at(1))).contains("'userAttributes.1.member.name'"));
        let two = refused(attribute(at(33), at(2049)));
        assert!(two.starts_with("2 validation errors detected") && two.contains("member.value"), "{two}");
        let many = |n: usize| json!({ "UserAttributes": (0..n).map(|i| json!({"Name": format!("custom:a{i}"), "Value": "v"})).collect::<Vec<_>>() });
        assert!(check(&many(MAX_ATTRIBUTES)).is_ok());
        assert!(refused(many(MAX_ATTRIBUTES + 1)).contains("did not conform to the schema"));
        // Characters, not bytes.
        assert!(check(&json!({ "Username": "é".repeat(128) })).is_ok());
    }
}

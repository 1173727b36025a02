//! README's IAM policy names the action of every SDK operation walab calls: the operations are
//! read from `src/aws` itself (each `.<service>.<operation>()` call on a client), so a new call
//! without its permission fails here, not on a learner's account.

use std::collections::BTreeSet;
use std::path::Path;

/// Cognito's operations a learner calls as themself: unsigned, so no IAM action governs them.
const UNSIGNED: &[&str] =
    &["sign_up", "confirm_sign_up", "resend_confirmation_code", "initiate_auth", "respond_to_auth_challenge"];

/// Every `(client, operation)` called in `src/aws`.
fn operations() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aws");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or_default())
            .collect::<String>()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        for client in ["cognito", "cloudformation", "apigateway", "cloudfront"] {
            let needle = format!(".{client}.");
            let mut rest = code.as_str();
            while let Some(i) = rest.find(&needle) {
                rest = &rest[i + needle.len()..];
                let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                if !name.is_empty() && rest[name.len()..].starts_with("()") {
                    found.insert((client.to_string(), name));
                }
            }
        }
    }
    found
}

fn pascal(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The IAM action an operation needs; `None` for Cognito's unsigned ones.
fn action(client: &str, operation: &str) -> Option<String> {
    Some(match client {
        "cognito" if UNSIGNED.contains(&operation) => return None,
        "cognito" => format!("cognito-idp:{}", pascal(operation)),
        // API Gateway's control plane is authorised by HTTP method on the resource path.
        "apigateway" => {
            let verb = operation.split('_').next().unwrap_or_default();
            let method = match verb {
                "get" => "GET",
                "create" => "POST",
                "update" => "PATCH",
                "delete" => "DELETE",
                "put" => "PUT",
                other => panic!("no HTTP method known for apigateway {other}_…"),
            };
            format!("apigateway:{method}")
        }
        service => format!("{service}:{}", pascal(operation)),
    })
}

/// The actions README's policy allows.
fn policy_actions() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("<!-- iam-policy -->").expect("README has the IAM policy");
    let block = &readme[start..];
    let json = &block[block.find("```json").unwrap() + 7..];
    let json = &json[..json.find("```").unwrap()];
    let policy: serde_json::Value = serde_json::from_str(json).expect("the policy is JSON");
    let mut actions = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap() {
        assert_eq!(statement["Effect"], "Allow");
        assert!(statement["Action"].as_array().is_some(), "{statement}");
        for a in statement["Action"].as_array().unwrap() {
            let a = a.as_str().unwrap();
            assert!(!a.contains('*'), "least privilege: no wildcard actions ({a})");
            actions.insert(a.to_string());
        }
    }
    actions
}

#[test]
fn the_readme_policy_names_every_operation_walab_calls() {
    let operations = operations();
    // A sanity floor: the scan finds the calls at all (one per service at least).
    for client in ["cognito", "cloudformation", "apigateway", "cloudfront"] {
        assert!(operations.iter().any(|(c, _)| c == client), "no {client} call found: {operations:?}");
    }
    assert!(operations.len() >= 30, "{operations:?}");
    let allowed = policy_actions();
    let needed: BTreeSet<String> = operations.iter().filter_map(|(c, o)| action(c, o)).collect();
    let missing: Vec<_> = needed.difference(&allowed).collect();
    assert!(missing.is_empty(), "README's IAM policy lacks {missing:?} (walab calls {operations:?})");
    // And nothing more than walab uses.
    let unused: Vec<_> = allowed.difference(&needed).collect();
    assert!(unused.is_empty(), "README's IAM policy allows {unused:?}, which walab never calls");
}

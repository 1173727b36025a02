//! The lab's data: the `players` table behind the API's Lambda function, and how the
//! function answers an `id` (including section 4's SQL injection, which still "works").

use serde::Serialize;
use serde_json::Value;

use crate::locallab::machinery::wire::to_json;

const PLAYERS: [&str; 3] = ["Lionel Messi", "Cristiano Ronaldo", "Son Heung-min"];

/// What the Lambda function returns: the rows found, or the error Python raised.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum FunctionResult {
    Rows(Vec<String>),
    #[serde(rename_all = "camelCase")]
    Error {
        error_message: String,
        error_type: &'static str,
    },
}

/// The JSON body the Lambda function returns for `?id=<id>`.
pub fn answer(id: &str) -> Value {
    let result = match parse(id.trim()) {
        Some(Query::Id(n)) => FunctionResult::Rows(row(n).into_iter().collect()),
        Some(Query::All) => FunctionResult::Rows((1..=PLAYERS.len() as u64).filter_map(row).collect()),
        // The function interpolates `id` into SQL; anything else is a syntax error, which
        // a non-proxy integration hands back as a 200 with the error in the body.
        None => FunctionResult::Error {
            error_message: format!(
                "(1064, \"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '{id}' at line 1\")"
            ),
            error_type: "ProgrammingError",
        },
    };
    to_json(&result)
}

enum Query {
    Id(u64),
    All,
}

fn row(id: u64) -> Option<String> {
    let name = PLAYERS.get(usize::try_from(id).ok()?.checked_sub(1)?)?;
    Some(format!("My favorite player is {name}"))
}

/// `N`, or `N or A=B` (true when A and B are equal), the shapes section 4 uses.
fn parse(id: &str) -> Option<Query> {
    let lower = id.to_ascii_lowercase();
    let mut parts = lower.splitn(2, " or ");
    let n: u64 = parts.next()?.trim().parse().ok()?;
    match parts.next() {
        None => Some(Query::Id(n)),
        Some(condition) => {
            let (a, b) = condition.split_once('=')?;
            if a.trim() == b.trim() { Some(Query::All) } else { Some(Query::Id(n)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_the_lab_function() {
        assert_eq!(answer("1"), serde_json::json!(["My favorite player is Lionel Messi"]));
        assert_eq!(answer("3"), serde_json::json!(["My favorite player is Son Heung-min"]));
        assert_eq!(answer("9"), serde_json::json!([]));
        assert_eq!(answer("1 or 1=1").as_array().unwrap().len(), 3);
        assert_eq!(answer("1 OR 2=3").as_array().unwrap().len(), 1);
        assert!(answer("x'; drop").get("errorMessage").is_some());
    }
}

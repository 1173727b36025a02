//! The lab's data: the `players` table behind the API's Lambda function, and how the
//! function answers an `id` (including section 4's SQL injection, which still "works").

use serde_json::Value;

const PLAYERS: [&str; 3] = ["Lionel Messi", "Cristiano Ronaldo", "Son Heung-min"];

/// The JSON body the Lambda function returns for `?id=<id>`.
pub fn answer(id: &str) -> Value {
    let rows: Vec<Value> = match parse(id.trim()) {
        Some(Query::Id(n)) => row(n).into_iter().collect(),
        Some(Query::All) => (1..=PLAYERS.len() as u64).filter_map(row).collect(),
        None => {
            // The function interpolates `id` into SQL; anything else is a syntax error, which
            // a non-proxy integration hands back as a 200 with the error in the body.
            return serde_json::json!({
                "errorMessage": format!("(1064, \"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '{id}' at line 1\")"),
                "errorType": "ProgrammingError"
            });
        }
    };
    Value::Array(rows)
}

enum Query {
    Id(u64),
    All,
}

fn row(id: u64) -> Option<Value> {
    let name = PLAYERS.get(usize::try_from(id).ok()?.checked_sub(1)?)?;
    Some(Value::String(format!("My favorite player is {name}")))
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

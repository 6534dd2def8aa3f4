//! A request's arguments: the JSON body of a POST (MLflow's client writes `NaN` and
//! `Infinity` bare, as Python's `json` does), or the query string of a GET (a field given
//! several times is a list).

use serde_json::{Map, Value};

use super::ApiError;

pub struct Args(Map<String, Value>);

impl Args {
    pub fn parse(method: &str, query: Option<&str>, body: &[u8]) -> Result<Args, ApiError> {
        if method == "GET" || method == "HEAD" || method == "DELETE" {
            let mut map = Map::new();
            for (k, v) in crate::ui::http::query(query) {
                match map.get_mut(&k) {
                    Some(Value::Array(a)) => a.push(Value::String(v)),
                    Some(old) => {
                        let first = old.take();
                        *old = Value::Array(vec![first, Value::String(v)]);
                    }
                    None => {
                        map.insert(k, Value::String(v));
                    }
                }
            }
            // MLflow's client sends a DELETE's fields as a JSON body.
            if method == "DELETE" && !body.iter().all(u8::is_ascii_whitespace) {
                let Args(fields) = Args::parse("POST", None, body)?;
                map.extend(fields);
            }
            return Ok(Args(map));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Args(Map::new()));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::invalid("the request body is not UTF-8"))?;
        let value: Value =
            serde_json::from_str(crate::text::quote_non_finite(text).as_deref().unwrap_or(text))
                .map_err(|e| {
                    ApiError::invalid(format!("the request body is not valid JSON: {e}"))
                })?;
        match value {
            Value::Object(map) => Ok(Args(map)),
            _ => Err(ApiError::invalid("the request body is not a JSON object")),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A text field; numbers are taken as their text.
    pub fn str(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_owned),
            _ => None,
        }
    }

    /// A text field that must be there, in MLflow's words when it is not.
    pub fn required(&self, name: &str) -> Result<String, ApiError> {
        self.str(name).filter(|s| !s.is_empty()).ok_or_else(|| {
            ApiError::invalid(format!("Missing value for required parameter '{name}'."))
        })
    }

    /// The run a request names: `run_id`, or the older `run_uuid`.
    pub fn run_id(&self) -> Result<String, ApiError> {
        self.str("run_id")
            .filter(|s| !s.is_empty())
            .or_else(|| self.str("run_uuid"))
            .ok_or_else(|| ApiError::invalid("Missing value for required parameter 'run_id'."))
    }

    /// A whole number (JSON number or its text, as int64 fields may be).
    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| {
                    ApiError::invalid(format!("Invalid value {n} for parameter '{name}'"))
                }),
            Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::invalid(format!("Invalid value {s:?} for parameter '{name}'"))
            }),
            Some(v) => Err(ApiError::invalid(format!("Invalid value {v} for parameter '{name}'"))),
        }
    }

    /// A list of texts (a repeated field).
    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        }
    }

    /// A list of objects (`metrics`, `params`, `tags`).
    pub fn objects(&self, name: &str) -> Result<Vec<&Map<String, Value>>, ApiError> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_object().ok_or_else(|| {
                        ApiError::invalid(format!("Invalid value for parameter '{name}': {v}"))
                    })
                })
                .collect(),
            Some(v) => Err(ApiError::invalid(format!("Invalid value for parameter '{name}': {v}"))),
        }
    }

    /// `[{key, value}]` as pairs (a `tags` list).
    pub fn pairs(&self, name: &str) -> Result<Vec<(String, String)>, ApiError> {
        self.objects(name)?.into_iter().map(pair).collect()
    }
}

/// `{key, value}` as a pair; the key is required.
pub fn pair(o: &Map<String, Value>) -> Result<(String, String), ApiError> {
    let key = match o.get("key") {
        Some(Value::String(k)) => k.clone(),
        _ => return Err(ApiError::invalid("Missing value for required parameter 'key'.")),
    };
    let value = match o.get("value") {
        Some(Value::String(v)) => v.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        None | Some(Value::Null) => String::new(),
        Some(v) => v.to_string(),
    };
    Ok((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_non_finite_numbers_are_quoted_outside_strings() {
        let t = r#"{"a": NaN, "b": -Infinity, "c": [Infinity], "d": "NaN \" Infinity"}"#;
        let v: Value =
            serde_json::from_str(&crate::text::quote_non_finite(t).expect("quoted")).expect("json");
        assert_eq!(v["a"], "NaN");
        assert_eq!(v["b"], "-Infinity");
        assert_eq!(v["c"][0], "Infinity");
        assert_eq!(v["d"], "NaN \" Infinity");
    }

    #[test]
    fn query_fields_given_twice_are_lists() {
        let a = Args::parse("GET", Some("run_id=abc&x=1&x=2"), b"").expect("args");
        assert_eq!(a.run_id().expect("id"), "abc");
        assert_eq!(a.strings("x"), vec!["1", "2"]);
        assert!(Args::parse("POST", None, b"{nope").is_err());
    }
}

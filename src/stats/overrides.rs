//! `--set PATH=VALUE` and `--sweep PATH=V1,V2,…`: change one parameter of a
//! scenario and check the result again, exactly as if the file said so.
//!
//! A path walks the scenario's fields with dots; `[k]` picks a list element
//! by index or by its `id`; enum variant names may be left out:
//! `nodes[mx-co].kind.greylist.delay=60s`, `traffic[spam-direct].retry=Never`.
//! A value is read as JSON when it parses (`0.5`, `true`, `{}`,
//! `{"Rfc": {}}`), else taken as a string (`60s`, `10/h`, `Never`).
//! A sweep range is `START..END:STEP` with numbers or durations (`60s..6h:30m`).

use serde_json::Value;

use super::super::scenario::{self, LoadError, Scenario};

/// Why an override could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum OverrideError {
    #[error("`{0}`: expected PATH=VALUE")]
    Syntax(String),
    #[error("`{path}`: no `{segment}` here (available: {available})")]
    NoSuchField { path: String, segment: String, available: String },
    #[error("`{path}`: the sweep range `{range}` is not `start..end:step` with numbers")]
    BadRange { path: String, range: String },
    #[error("after `{0}` the scenario is not valid:\n{1}")]
    Invalid(String, LoadError),
    #[error("cannot re-encode the scenario: {0}")]
    Encode(String),
}

/// One `PATH=VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: String,
}

impl Override {
    pub fn parse(s: &str) -> Result<Self, OverrideError> {
        let (path, value) = s.split_once('=').ok_or_else(|| OverrideError::Syntax(s.to_string()))?;
        if path.trim().is_empty() {
            return Err(OverrideError::Syntax(s.to_string()));
        }
        Ok(Override { path: path.trim().to_string(), value: value.trim().to_string() })
    }
}

impl std::fmt::Display for Override {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.path, self.value)
    }
}

/// Expands `PATH=V1,V2,…` or `PATH=start..end:step` into one override per value.
pub fn sweep(s: &str) -> Result<Vec<Override>, OverrideError> {
    let o = Override::parse(s)?;
    if let Some((range, step)) = o.value.split_once(':')
        && let Some((a, b)) = range.split_once("..")
    {
        let bad = || OverrideError::BadRange { path: o.path.clone(), range: o.value.clone() };
        // Durations too: `60s..6h:30m`.
        let durations = [a, b, step].map(|x| x.parse::<crate::units::Duration>());
        if a.parse::<f64>().is_err()
            && let [Ok(a), Ok(b), Ok(step)] = durations
        {
            if step.0 == 0 || b < a || (b.0 - a.0) / step.0 > 10_000 {
                return Err(bad());
            }
            let n = (b.0 - a.0) / step.0;
            return Ok((0..=n)
                .map(|i| Override { path: o.path.clone(), value: (a + i * step.0).to_string() })
                .collect());
        }
        let (a, b, step): (f64, f64, f64) =
            (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?, step.parse().map_err(|_| bad())?);
        if step <= 0.0 || b < a || (b - a) / step > 10_000.0 {
            return Err(bad());
        }
        let n = ((b - a) / step + 1e-9).floor() as usize;
        return Ok((0..=n)
            .map(|i| Override { path: o.path.clone(), value: format_number(a + i as f64 * step) })
            .collect());
    }
    Ok(o.value.split(',').map(|v| Override { path: o.path.clone(), value: v.trim().to_string() }).collect())
}

fn format_number(x: f64) -> String {
    let r = (x * 1e9).round() / 1e9;
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r}") }
}

fn parse_value(v: &str) -> Value {
    serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()))
}

/// Applies overrides to a scenario and validates the result as a whole.
pub fn apply(s: &Scenario, overrides: &[Override], file: &str) -> Result<Scenario, OverrideError> {
    if overrides.is_empty() {
        return Ok(s.clone());
    }
    let mut v = serde_json::to_value(s).map_err(|e| OverrideError::Encode(e.to_string()))?;
    let mut added = Vec::new();
    for o in overrides {
        added.extend(set(&mut v, o)?);
    }
    let changed: Scenario = serde_json::from_value(v).map_err(|e| {
        // A field that was added but is not one of the type's: the path's mistake.
        let text = e.to_string();
        if let Some(NoSuchField { path, segment, available }) =
            added.iter().find(|f| text.contains(&format!("unknown field `{}`", f.segment)))
        {
            return OverrideError::NoSuchField {
                path: path.clone(),
                segment: segment.clone(),
                available: available.clone(),
            };
        }
        OverrideError::Invalid(overrides_text(overrides), LoadError::Problems(vec![problem(file, text)]))
    })?;
    // Validate as a file would be: through RON, so positions and rules are the same.
    let text = scenario::to_ron(&changed).map_err(|e| OverrideError::Encode(e.to_string()))?;
    scenario::parse(&text, &format!("{file} (with {})", overrides_text(overrides)))
        .map_err(|e| OverrideError::Invalid(overrides_text(overrides), e))
}

fn problem(file: &str, msg: String) -> scenario::Problem {
    scenario::Problem {
        file: file.to_string(),
        pos: scenario::Pos { line: 1, col: 1 },
        kind: scenario::ProblemKind::Syntax(msg),
    }
}

fn overrides_text(o: &[Override]) -> String {
    o.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

/// A field an override added (one the file left out, such as an optional
/// defense that is written only when set): serde decides whether the type
/// has it.
struct NoSuchField {
    path: String,
    segment: String,
    available: String,
}

fn set(root: &mut Value, o: &Override) -> Result<Option<NoSuchField>, OverrideError> {
    let segments = split_path(&o.path);
    let mut cur = root;
    let mut added = None;
    for (i, (name, index)) in segments.iter().enumerate() {
        let last = i + 1 == segments.len() && index.is_none();
        // The last field may be one the scenario leaves out when unset
        // (`familiar`, `relayhost`): add it.
        cur = match struct_keys(cur, name) {
            Some(keys) if last => {
                added =
                    Some(NoSuchField { path: o.path.clone(), segment: name.to_string(), available: keys.join(", ") });
                add_field(cur, name)
            }
            _ => descend(cur, name, &o.path)?,
        };
        if let Some(k) = index {
            cur = pick(cur, k, &o.path)?;
        }
        if last {
            *cur = parse_value(&o.value);
            return Ok(added);
        }
    }
    *cur = parse_value(&o.value);
    Ok(added)
}

/// The enum variant an object wraps (`{"Mx": {...}}`), as [`descend`] steps through it.
fn variant_of(v: &Value) -> Option<String> {
    let o = v.as_object().filter(|o| o.len() == 1)?;
    let k = o.keys().next()?;
    (k.starts_with(|c: char| c.is_ascii_uppercase()) && o[k].is_object()).then(|| k.clone())
}

/// Whether [`descend`] finds field `name` in `v`.
fn has_field(v: &Value, name: &str) -> bool {
    v.get(name).is_some() || variant_of(v).is_some_and(|k| has_field(&v[k], name))
}

/// The fields of the struct that [`descend`] would look `name` up in last
/// (inside any variant), when `name` is not there; `None` when it is there
/// or that value is not a struct.
fn struct_keys(v: &Value, name: &str) -> Option<Vec<String>> {
    if has_field(v, name) {
        return None;
    }
    match variant_of(v) {
        Some(k) => struct_keys(&v[k], name),
        None => Some(v.as_object()?.keys().cloned().collect()),
    }
}

/// Adds field `name` (null) to the struct [`struct_keys`] found.
fn add_field<'a>(v: &'a mut Value, name: &str) -> &'a mut Value {
    match variant_of(v) {
        Some(k) => add_field(&mut v[k], name),
        None => match v {
            Value::Object(map) => map.entry(name.to_string()).or_insert(Value::Null),
            other => other,
        },
    }
}

/// `nodes[mx-co].kind` -> [("nodes", Some("mx-co")), ("kind", None)]
fn split_path(p: &str) -> Vec<(String, Option<String>)> {
    p.split('.')
        .map(|seg| match seg.split_once('[') {
            Some((name, rest)) => (name.to_string(), Some(rest.trim_end_matches(']').to_string())),
            None => (seg.to_string(), None),
        })
        .collect()
}

fn descend<'a>(v: &'a mut Value, name: &str, path: &str) -> Result<&'a mut Value, OverrideError> {
    // Step through an enum variant (`{"Mx": {...}}`) when the field is inside it.
    let has = v.as_object().is_some_and(|o| o.contains_key(name));
    if !has
        && let Some(obj) = v.as_object()
        && obj.len() == 1
        && obj.keys().next().is_some_and(|k| k.starts_with(|c: char| c.is_ascii_uppercase()))
    {
        let key = obj.keys().next().cloned().unwrap_or_default();
        return descend(&mut v[key], name, path);
    }
    let available = v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
    match v.as_object_mut() {
        Some(obj) if obj.contains_key(name) => Ok(obj.get_mut(name).expect("checked")),
        _ => Err(OverrideError::NoSuchField { path: path.to_string(), segment: name.to_string(), available }),
    }
}

fn pick<'a>(v: &'a mut Value, key: &str, path: &str) -> Result<&'a mut Value, OverrideError> {
    let err = |available: String| OverrideError::NoSuchField {
        path: path.to_string(),
        segment: format!("[{key}]"),
        available,
    };
    let Some(list) = v.as_array_mut() else { return Err(err("not a list".into())) };
    let ids: Vec<String> = list.iter().filter_map(element_id).collect();
    let found = match key.parse::<usize>() {
        Ok(i) if i < list.len() => Some(i),
        _ => list.iter().position(|e| element_id(e).as_deref() == Some(key)),
    };
    match found {
        Some(i) => Ok(&mut list[i]),
        None => Err(err(ids.join(", "))),
    }
}

/// The `id` of a list element, looking inside an enum variant if needed.
fn element_id(e: &Value) -> Option<String> {
    if let Some(id) = e.get("id").and_then(Value::as_str) {
        return Some(id.to_string());
    }
    let obj = e.as_object()?;
    (obj.len() == 1).then(|| obj.values().next()?.get("id")?.as_str().map(str::to_string)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_expand_lists_and_ranges() {
        let v = sweep("a.b=60s,5m,1h").unwrap();
        assert_eq!(v.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["60s", "5m", "1h"]);
        let r = sweep("x=0..1:0.25").unwrap();
        assert_eq!(r.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["0", "0.25", "0.5", "0.75", "1"]);
        assert!(sweep("x=1..0:1").is_err());
        let d = sweep("g.delay=60s..6h:90m").unwrap();
        assert_eq!(d.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["1m", "1h31m", "3h1m", "4h31m"]);
        assert!(Override::parse("novalue").is_err());
    }

    #[test]
    fn a_field_the_file_leaves_out_can_be_set_and_a_misspelt_one_is_still_refused() {
        let src = r#"Scenario(name: "t", duration: "1h", isps: [Isp(id: "c", servers: ["203.0.113.0/28"])],
            nodes: [Node(id: "mx", isp: "c", kind: Mx(hostname: "mx.c.example", domains: ["c.example"], mailboxes: ["a@c.example"]))],
            dns: [Zone(domain: "c.example", mx: [(10, "mx.c.example")])])"#;
        let s = scenario::parse(src, "t.ron").unwrap();
        let on = apply(&s, &[Override::parse("nodes[mx].kind.familiar={}").unwrap()], "t.ron").unwrap();
        assert!(on.nodes[0].kind.mail_server().unwrap().familiar.is_some());
        let typo = apply(&s, &[Override::parse("nodes[mx].kind.familiarr={}").unwrap()], "t.ron").unwrap_err();
        assert!(typo.to_string().contains("no `familiarr` here (available: "), "{typo}");
        let scalar = apply(&s, &[Override::parse("duration.x=1").unwrap()], "t.ron").unwrap_err();
        assert!(scalar.to_string().contains("no `x` here"), "{scalar}");
    }
}

//! A [`Doc`] written as one line of RON, in the dialect of the scenario
//! files: `Some` implicit, newtype variants unwrapped; struct names written
//! or not (`names`).

use super::{Doc, VariantContent};

/// Appends `doc` to `out`.
pub(super) fn value(out: &mut String, doc: &Doc, names: bool) {
    match doc {
        Doc::Unit => out.push_str("()"),
        Doc::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Doc::Int(i) => out.push_str(&i.to_string()),
        Doc::Float(f) => out.push_str(&float(*f)),
        Doc::Char(c) => out.push_str(&escape_char(*c)),
        Doc::Str(s) => out.push_str(&escape_str(s)),
        Doc::Option(None) => out.push_str("None"),
        // Implicit Some: the bare value, unless it is an option itself
        // (`Some(None)` cannot be written bare).
        Doc::Option(Some(d)) if matches!(**d, Doc::Option(_)) => {
            out.push_str("Some(");
            value(out, d, names);
            out.push(')');
        }
        Doc::Option(Some(d)) => value(out, d, names),
        Doc::Seq(items) => {
            out.push('[');
            list(out, items, names);
            out.push(']');
        }
        Doc::Tuple(items) => tuple(out, items, names),
        Doc::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                value(out, k, names);
                out.push_str(": ");
                value(out, v, names);
            }
            out.push('}');
        }
        Doc::Struct { name, fields } => {
            if names {
                out.push_str(name);
            }
            out.push('(');
            struct_fields(out, fields, names);
            out.push(')');
        }
        Doc::Variant { variant, content, .. } => {
            out.push_str(variant);
            match content {
                VariantContent::Unit => {}
                // Unwrapped: `IspRelay(hostname: "x")`, not `IspRelay((hostname: "x"))`.
                VariantContent::Newtype(d) => match &**d {
                    Doc::Struct { fields, .. } => {
                        out.push('(');
                        struct_fields(out, fields, names);
                        out.push(')');
                    }
                    d => {
                        out.push('(');
                        value(out, d, names);
                        out.push(')');
                    }
                },
                VariantContent::Tuple(items) => {
                    out.push('(');
                    list(out, items, names);
                    out.push(')');
                }
                VariantContent::Struct(fields) => {
                    out.push('(');
                    struct_fields(out, fields, names);
                    out.push(')');
                }
            }
        }
    }
}

fn list(out: &mut String, items: &[Doc], names: bool) {
    for (i, d) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        value(out, d, names);
    }
}

fn tuple(out: &mut String, items: &[Doc], names: bool) {
    out.push('(');
    list(out, items, names);
    if items.len() == 1 {
        out.push(',');
    }
    out.push(')');
}

/// `name: value, …` of a struct's fields.
fn struct_fields(out: &mut String, fields: &[(&'static str, Doc)], names: bool) {
    for (i, (n, d)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(n);
        out.push_str(": ");
        value(out, d, names);
    }
}

/// A float that reads back as the same number, always with a decimal point
/// (`1.0`, not `1`, so it is not taken for an integer).
pub fn float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Display is the shortest text that reads back as `f`, never with an exponent.
    let s = f.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

fn escape_into(out: &mut String, c: char, quote: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

/// A RON string literal: `"say \"hi\"\n"`.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape_into(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// A RON character literal: `'\''`.
pub fn escape_char(c: char) -> String {
    let mut out = String::from("'");
    escape_into(&mut out, c, '\'');
    out.push('\'');
    out
}

//! The RON reader's syntax errors in an author's terms. The reader says
//! what token it expected (`Expected identifier`, `Expected string`,
//! `Invalid digit 'c' for base 10 integers`); an author needs to know what
//! to write instead. This looks at the text around the error (the value
//! being written and the field or variant it belongs to) and says that,
//! with an example, keeping the reader's words at the end.

/// How a variant or type is written, for the ones authors most often get wrong.
struct Form {
    name: &'static str,
    /// `true`: named fields (`Op25b(isp: …)`); `false`: a value directly (`Immediate(3)`).
    named: bool,
    example: &'static str,
}

const FORMS: &[Form] = &[
    Form { name: "Immediate", named: false, example: "retry: Immediate(3)" },
    Form { name: "OtherHost", named: false, example: "retry: OtherHost(3)" },
    Form { name: "Fixed", named: false, example: "shape: Fixed(\"15m\")" },
    Form { name: "Delays", named: false, example: "shape: Delays([\"5m\", \"30m\", \"2h\"])" },
    Form { name: "OpenRelays", named: false, example: "strategy: OpenRelays([\"relay-x\"])" },
    Form { name: "OpenRelaysThenDirect", named: false, example: "strategy: OpenRelaysThenDirect([\"relay-x\"])" },
    Form { name: "MyNetworks", named: false, example: "relay: MyNetworks([\"10.1.0.0/16\"])" },
    Form { name: "At", named: false, example: "trigger: At(\"30m\")" },
    Form { name: "After", named: false, example: "trigger: After(\"5m\")" },
    Form { name: "Op25b", named: true, example: "Op25b(isp: \"isp-a\")" },
    Form {
        name: "Block",
        named: true,
        example: "Block(port: 25, from: [\"10.1.0.0/16\"], unless_to: [\"192.0.2.0/26\"])",
    },
    Form { name: "Postfix", named: true, example: "shape: Postfix(queue_run_delay: \"300s\")" },
    Form { name: "Rfc", named: true, example: "retry: Rfc(min: \"10m\", max: \"1h\", lifetime: \"1d\")" },
    Form { name: "Backoff", named: true, example: "queue: Backoff(min: \"5m\")" },
    Form {
        name: "StolenCredentials",
        named: true,
        example: "strategy: StolenCredentials(relay: \"relay-a\", port: 587, credentials: [Credentials(user: \"u\", password: \"p\")], share: 0.5)",
    },
    Form {
        name: "Credentials",
        named: true,
        example: "Credentials(user: \"alice@isp-a.example\", password: \"secret\")",
    },
    Form { name: "Window", named: true, example: "Window(from: \"1h\", to: \"2h\")" },
    Form { name: "PopBeforeSmtp", named: true, example: "pop_before_smtp: PopBeforeSmtp(server: \"relay-a\")" },
    Form { name: "Switch", named: true, example: "Switch(node: \"mx-co\", defense: Greylist, on: true)" },
    Form { name: "Msg", named: true, example: "MessageDelivered(source: \"alice-mail\", index: 0)" },
];

/// What the error is about, read from the text before it.
struct Context {
    /// The variant or type whose `(` encloses the error (`Op25b`).
    enclosing: Option<String>,
    /// The field whose value is being read (`min` in `min: 5m`).
    field: Option<String>,
    /// The text at the error, up to the next delimiter (`5m`, `count`, `"isp-a"`).
    token: String,
}

fn context(src: &str, line: usize, col: usize) -> Context {
    let chars: Vec<char> = src.chars().collect();
    // The character offset of (line, col), both 1-based.
    let mut at = 0;
    let (mut l, mut c) = (1, 1);
    while at < chars.len() && (l, c) < (line, col) {
        if chars[at] == '\n' {
            l += 1;
            c = 1;
        } else {
            c += 1;
        }
        at += 1;
    }
    let token: String = chars[at..].iter().take_while(|ch| !matches!(ch, ',' | ')' | ']' | '}' | '\n')).collect();
    let ident_before = |mut i: usize| -> Option<String> {
        while i > 0 && chars[i - 1].is_whitespace() {
            i -= 1;
        }
        let end = i;
        while i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
            i -= 1;
        }
        (i < end).then(|| chars[i..end].iter().collect())
    };
    // The field: `name:` just before the value.
    let mut i = at;
    while i > 0 && chars[i - 1].is_whitespace() {
        i -= 1;
    }
    let field = (i > 0 && chars[i - 1] == ':').then(|| ident_before(i - 1)).flatten();
    // The enclosing `Name(`: walk back over balanced brackets (outside strings).
    let mut depth = 0usize;
    let mut in_string = false;
    let mut enclosing = None;
    let mut j = at;
    while j > 0 {
        j -= 1;
        let ch = chars[j];
        if ch == '"' && (j == 0 || chars[j - 1] != '\\') {
            in_string = !in_string;
            continue;
        }
        if in_string {
            continue;
        }
        match ch {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' | '{' if depth > 0 => depth -= 1,
            '(' => {
                enclosing = ident_before(j);
                break;
            }
            '[' | '{' => break,
            _ => {}
        }
    }
    Context { enclosing, field, token: token.trim().to_string() }
}

/// The reader's error `code` at `line`:`col`, explained for an author.
pub fn explain(code: &ron::error::Error, src: &str, line: usize, col: usize) -> String {
    use ron::error::Error as E;
    let said = code.to_string();
    let ctx = context(src, line, col);
    let form = ctx.enclosing.as_deref().and_then(|n| FORMS.iter().find(|f| f.name == n));
    let named_token = ctx.token.split_once(':').map(|(n, _)| n.trim().to_string());
    let hint = match code {
        // `Immediate(count: 5)`: a value was expected, a field name was written.
        E::InvalidIntegerDigit { .. } | E::ExpectedInteger | E::ExpectedString | E::ExpectedFloat
            if form.is_some_and(|f| !f.named) && named_token.is_some() =>
        {
            let f = form.unwrap();
            Some(format!(
                "`{}` takes its value directly, without a field name (`{}:`): write `{}`",
                f.name,
                named_token.unwrap_or_default(),
                f.example
            ))
        }
        // `Op25b("isp-a")`: named fields were expected, a bare value was written.
        E::ExpectedIdentifier | E::ExpectedStructLikeEnd if form.is_some_and(|f| f.named) => {
            let f = form.unwrap();
            Some(format!("`{}` takes named fields (`name: value`): write `{}`", f.name, f.example))
        }
        E::ExpectedIdentifier => Some("a field name is expected here (`name: value`)".to_string()),
        // `delay: 5m`: text must be quoted.
        E::ExpectedString if !ctx.token.starts_with('"') => {
            let value = if ctx.token.is_empty() { "5m".to_string() } else { ctx.token.clone() };
            Some(match &ctx.field {
                Some(field) => format!(
                    "`{field}` is written as text in quotes: `{field}: \"{value}\"` (durations, rates, addresses, networks and ids are all quoted)"
                ),
                None => format!(
                    "text in quotes is expected here: `\"{value}\"` (durations, rates, addresses, networks and ids are all quoted)"
                ),
            })
        }
        E::InvalidIntegerDigit { .. } | E::ExpectedInteger => Some(match &ctx.field {
            Some(field) => format!("`{field}` is a whole number, e.g. `{field}: 25`"),
            None => "a whole number is expected here, e.g. `25`".to_string(),
        }),
        _ => None,
    };
    match hint {
        Some(h) => format!("{h} (the RON reader said: {said})"),
        None => said,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(src: &str, line: usize, col: usize) -> (Option<String>, Option<String>, String) {
        let c = context(src, line, col);
        (c.enclosing, c.field, c.token)
    }

    #[test]
    fn the_context_names_the_enclosing_variant_the_field_and_the_token() {
        assert_eq!(ctx("x: Op25b(\"isp-a\")", 1, 10), (Some("Op25b".into()), None, "\"isp-a\"".into()));
        assert_eq!(ctx("Backoff(min: 5m)", 1, 14), (Some("Backoff".into()), Some("min".into()), "5m".into()));
        assert_eq!(ctx("Immediate(count: 5)", 1, 11), (Some("Immediate".into()), None, "count: 5".into()));
        assert_eq!(ctx("A(b: [C(\"(\"), D(e: x)])", 1, 20), (Some("D".into()), Some("e".into()), "x".into()));
    }
}

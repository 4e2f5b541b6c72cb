//! The words the window shows, in English and Japanese. Fixed strings go
//! through [`tr`]; names that come from the core (node kinds, defenses,
//! counters, refusal reasons, mail classes) through the tables here, so that
//! no Rust enum name or Debug output reaches the screen.

use crate::gui::icons::IconKind;
use crate::gui::scene::Lang;
use crate::scenario::Defense;
use crate::sim::MailClass;
use crate::units::{SECOND, SimTime, Timestamp};

/// The English or the Japanese of a fixed string.
pub fn tr(lang: Lang, en: &'static str, ja: &'static str) -> &'static str {
    if lang == Lang::Ja { ja } else { en }
}

/// A node kind in words.
pub fn kind_name(k: IconKind, lang: Lang) -> &'static str {
    match k {
        IconKind::Pc => tr(lang, "PC", "PC"),
        IconKind::Bot => tr(lang, "infected PC (bot)", "感染した PC (ボット)"),
        IconKind::Population => tr(lang, "customers' PCs", "利用者の PC 群"),
        IconKind::Router => tr(lang, "router", "ルータ"),
        IconKind::Relay => tr(lang, "ISP mail relay", "ISP の送信サーバ"),
        IconKind::OpenRelay => tr(lang, "open relay", "オープンリレー"),
        IconKind::SpammerServer => tr(lang, "spammer's server", "スパマーのサーバ"),
        IconKind::Mx => tr(lang, "MX (incoming mail server)", "MX (受信サーバ)"),
        IconKind::MailboxServer => tr(lang, "mailbox server", "メールボックスサーバ"),
        IconKind::Dns => tr(lang, "DNS", "DNS"),
    }
}

/// A defense in words (what-if switches, the switched list).
pub fn defense_name(d: Defense, lang: Lang) -> &'static str {
    match d {
        Defense::RelayRestriction => tr(lang, "relay restriction", "中継制限"),
        Defense::PopBeforeSmtp => tr(lang, "POP before SMTP", "POP before SMTP"),
        Defense::Op25b => tr(lang, "Outbound Port 25 Blocking (OP25B)", "25番ポートブロック (OP25B)"),
        Defense::Spf => tr(lang, "SPF check", "SPF 検査"),
        Defense::Greylist => tr(lang, "greylisting", "グレイリスティング"),
        Defense::VerifyRecipients => tr(lang, "recipient verification", "受信者の確認"),
        Defense::Familiar => tr(lang, "first-contact refusal (regulars)", "お馴染さん方式"),
        Defense::BackupMx => tr(lang, "backup MX relaying", "バックアップ MX の中継"),
        Defense::Dnsbl => tr(lang, "DNS blocklist (DNSBL)", "DNS ブラックリスト"),
        Defense::Tarpit => tr(lang, "tarpit (slow replies to strangers)", "応答の遅延 (ターピット)"),
        Defense::ConnectionRateLimit => tr(lang, "connection rate limit per client", "接続元ごとの接続数制限"),
        Defense::VerifySender => tr(lang, "sender callback verification", "送信者のコールバック検証"),
    }
}

/// A class of mail in words.
pub fn class_name(c: MailClass, lang: Lang) -> &'static str {
    match c {
        MailClass::Legit => tr(lang, "legit", "正規"),
        MailClass::Spam => tr(lang, "spam", "スパム"),
        MailClass::Bounce => tr(lang, "bounce", "バウンス"),
        MailClass::Backscatter => tr(lang, "backscatter", "バックスキャッタ"),
    }
}

/// The columns of `relaysim run`'s mail table, in the window's language.
pub fn column_names(lang: Lang) -> [&'static str; 5] {
    [
        tr(lang, "sent", "送信"),
        tr(lang, "delivered", "配達"),
        tr(lang, "rejected", "拒否"),
        tr(lang, "lost", "消失"),
        tr(lang, "queued", "待ち"),
    ]
}

/// How a spam message travelled (`run --format json`'s `spam_channels`), in words.
pub fn channel_name(c: crate::sim::channel::Channel, lang: Lang) -> &'static str {
    use crate::sim::channel::Channel::*;
    match c {
        OpenRelay => tr(lang, "open relay", "オープンリレー"),
        Direct => tr(lang, "direct to the MX", "MX へ直接"),
        OwnServer => tr(lang, "own server", "自前のサーバ"),
        StolenAuth => tr(lang, "stolen password", "盗んだパスワード"),
        BackupMx => tr(lang, "backup MX", "バックアップ MX"),
        Proxy => tr(lang, "open proxy", "オープンプロキシ"),
    }
}

/// A refusal reason counted by a server (`relay_denied`, …) in words.
pub fn reason_name(reason: &str, lang: Lang) -> String {
    let ja = match reason {
        "relay_denied" => Some("中継拒否"),
        "user_unknown" => Some("宛先不明"),
        "greylisted" => Some("グレイリスト"),
        "rate_limited" => Some("送信数制限"),
        "spf" => Some("SPF"),
        "tls_required" => Some("STARTTLS が必要"),
        "auth_required" => Some("認証が必要"),
        "auth_failed" => Some("認証失敗"),
        "unavailable" => Some("サービス停止中"),
        "other_permanent" => Some("その他の恒久エラー"),
        "other_temporary" => Some("その他の一時エラー"),
        _ => None,
    };
    match (lang, ja) {
        (Lang::Ja, Some(j)) => j.to_string(),
        _ => reason.replace('_', " "),
    }
}

/// A SPF result in words (`pass`, `fail`, … are RFC 7208's own names).
pub fn spf_result_name(result: &str, lang: Lang) -> String {
    let ja = match result {
        "pass" => "pass (合格)",
        "fail" => "fail (不合格)",
        "softfail" => "softfail (弱い不合格)",
        "neutral" => "neutral (中立)",
        "none" => "none (記録なし)",
        "temperror" => "temperror (一時エラー)",
        "permerror" => "permerror (記録の誤り)",
        _ => return result.to_string(),
    };
    if lang == Lang::Ja { ja.to_string() } else { result.to_string() }
}

/// Elapsed simulated time as `hh:mm:ss` (with the day when past the first).
pub fn elapsed(ms: SimTime) -> String {
    let s = ms / SECOND;
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 { format!("{}d {h:02}:{m:02}:{sec:02}", d) } else { format!("{h:02}:{m:02}:{sec:02}") }
}

/// The scenario's wall-clock date and time at `ms`: `1999-03-01 09:12:05`.
pub fn wall_clock(start: Timestamp, ms: SimTime) -> String {
    let t = Timestamp(start.0 + (ms / SECOND) as i64).to_string();
    // `1999-03-01T09:12:05Z` → `1999-03-01 09:12:05`
    t.trim_end_matches('Z').replacen('T', " ", 1)
}

/// A length of time in words: `300 ms`, `5 min`, `1 h 30 min`, `2 d`.
pub fn span(ms: u64, lang: Lang) -> String {
    let units: [(u64, &str, &str); 5] = [
        (86_400_000, "d", "日"),
        (3_600_000, "h", "時間"),
        (60_000, "min", "分"),
        (1000, "s", "秒"),
        (1, "ms", "ミリ秒"),
    ];
    if ms == 0 {
        return tr(lang, "0 s", "0秒").to_string();
    }
    let mut parts = Vec::new();
    let mut rest = ms;
    for (size, en, ja) in units {
        if rest >= size {
            let n = rest / size;
            rest %= size;
            parts.push(if lang == Lang::Ja { format!("{n}{ja}") } else { format!("{n} {en}") });
            if parts.len() == 2 {
                break;
            }
        }
    }
    parts.join(if lang == Lang::Ja { "" } else { " " })
}

/// `CamelCase` or `snake_case` to plain lower-case words.
pub fn words(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch == '_' {
            out.push(' ');
        } else if ch.is_uppercase() {
            if i > 0 && !out.ends_with(' ') {
                out.push(' ');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_names_read_as_words() {
        assert_eq!(elapsed(3_725_000), "01:02:05");
        assert_eq!(elapsed(90_000_000), "1d 01:00:00");
        assert_eq!(span(300_000, Lang::En), "5 min");
        assert_eq!(span(5_400_000, Lang::Ja), "1時間30分");
        assert_eq!(words("RelayRestriction"), "relay restriction");
        assert_eq!(words("max_age"), "max age");
        let start: Timestamp = "1999-03-01T09:00:00Z".parse().unwrap();
        assert_eq!(wall_clock(start, 61_000), "1999-03-01 09:01:01");
    }
}

//! The event list: the SMTP events of the run so far as a table (time, node,
//! who → whom, the reply or what happened, class), the first thing Packet
//! Tracer users look for. It follows the animation (rows appear as the
//! envelopes they describe move) and a click on a row selects the message
//! and seeks the run to that moment.

use bevy::prelude::*;
use bevy_egui::egui;

use crate::gui::Selection;
use crate::gui::playback::SimState;
use crate::gui::scene::Lang;
use crate::gui::text::{class_name, elapsed, tr};
use crate::sim::trace::TraceEvent;
use crate::sim::{MailClass, MsgId};

/// The event list's filter and rows (drawn by the panels).
pub(super) fn plugin(app: &mut App) {
    app.init_resource::<EventList>();
}

/// The filter and the rows it lets through (indices into the trace).
#[derive(Resource, Default)]
pub struct EventList {
    /// Words a row must contain (node ids, reply text), case-insensitive.
    pub filter: String,
    /// Classes hidden.
    pub hidden: Vec<MailClass>,
    /// Only refusals, deferrals and drops.
    pub problems_only: bool,
    /// Trace indices shown, in order.
    pub rows: Vec<usize>,
    /// Trace events already looked at, for the run and filter below.
    scanned: usize,
    key: Option<(u64, String, Vec<MailClass>, bool, Lang)>,
}

/// One row of the table, in words.
pub struct Row {
    pub at: u64,
    pub node: String,
    pub who: String,
    pub what: String,
    pub msg: MsgId,
    pub class: MailClass,
    /// 2 accepted / delivered, 4 deferred, 5 refused or dropped, 0 neutral.
    pub tone: u8,
    /// `what` is protocol text (an SMTP reply), shown as the server wrote it.
    pub protocol: bool,
}

/// The row for one trace event; `None` for events the table leaves out
/// (a hop starting: its end carries the reply).
pub fn row(state: &SimState, at: u64, ev: &TraceEvent, lang: Lang) -> Option<Row> {
    let name = |n: usize| state.scenario.nodes.get(n).map_or("?".to_string(), |x| x.id.clone());
    let class = |m: &MsgId| state.sim.messages.get(m.0 as usize).map_or(MailClass::Legit, |m| m.class);
    let r = match ev {
        TraceEvent::Injected { msg, node } => Row {
            at,
            node: name(*node),
            who: name(*node),
            what: tr(lang, "new message", "新しいメール").into(),
            msg: *msg,
            class: class(msg),
            tone: 0,
            protocol: false,
        },
        TraceEvent::HopStarted { .. } => return None,
        TraceEvent::HopEnded { msg, from, to, accepted, result } => Row {
            at,
            node: name(*to),
            who: format!("{} → {}", name(*from), name(*to)),
            what: result.lines().next().unwrap_or("").to_string(),
            msg: *msg,
            class: class(msg),
            tone: if *accepted {
                2
            } else if result.starts_with('4') {
                4
            } else {
                5
            },
            protocol: true,
        },
        TraceEvent::Dropped { msg, router } => {
            let from = state.sim.messages.get(msg.0 as usize).map_or("?".into(), |m| {
                m.hops.iter().rev().find(|h| h.ended <= at).map_or(name(m.origin), |h| name(h.from))
            });
            Row {
                at,
                node: name(*router),
                who: format!("{from} ✕ {}", name(*router)),
                what: crate::gui::flights::drop_text(state, *router, *msg, lang),
                msg: *msg,
                class: class(msg),
                tone: 5,
                protocol: false,
            }
        }
        TraceEvent::Delivered { msg, node } => Row {
            at,
            node: name(*node),
            who: name(*node),
            what: tr(lang, "delivered to the mailbox", "メールボックスに配達").into(),
            msg: *msg,
            class: class(msg),
            tone: 2,
            protocol: false,
        },
        TraceEvent::Bounced { msg, bounce, node } => Row {
            at,
            node: name(*node),
            who: name(*node),
            what: format!("{} #{} → #{}", tr(lang, "bounce sent for", "バウンスを送信:"), msg.0, bounce.0),
            msg: *bounce,
            class: class(bounce),
            tone: 4,
            protocol: false,
        },
        TraceEvent::Rejected { msg } => Row {
            at,
            node: String::new(),
            who: String::new(),
            what: tr(lang, "refused for good", "最終的に拒否").into(),
            msg: *msg,
            class: class(msg),
            tone: 5,
            protocol: false,
        },
        TraceEvent::Lost { msg } => Row {
            at,
            node: String::new(),
            who: String::new(),
            what: tr(lang, "lost (no one told)", "消失 (誰にも知らされない)").into(),
            msg: *msg,
            class: class(msg),
            tone: 5,
            protocol: false,
        },
    };
    Some(r)
}

impl EventList {
    /// Brings the rows up to the events the animation has shown.
    pub fn update(&mut self, state: &SimState, lang: Lang) {
        let key = (state.generation, self.filter.clone(), self.hidden.clone(), self.problems_only, lang);
        let upto = state.cursor.min(state.sim.trace.events.len());
        if self.key.as_ref() != Some(&key) || self.scanned > upto {
            self.rows.clear();
            self.scanned = 0;
            self.key = Some(key);
        }
        let needle = self.filter.to_lowercase();
        for i in self.scanned..upto {
            let (t, ev) = &state.sim.trace.events[i];
            let Some(r) = row(state, *t, ev, lang) else { continue };
            if self.hidden.contains(&r.class) || (self.problems_only && !matches!(r.tone, 4 | 5)) {
                continue;
            }
            if !needle.is_empty()
                && !format!("{} {} {} #{}", r.node, r.who, r.what, r.msg.0).to_lowercase().contains(&needle)
            {
                continue;
            }
            self.rows.push(i);
        }
        self.scanned = upto;
    }
}

/// The table with its filter bar. Returns the row clicked: (time, message).
pub fn table(
    ui: &mut egui::Ui,
    list: &mut EventList,
    state: &SimState,
    sel: &Selection,
    lang: Lang,
) -> Option<(u64, MsgId)> {
    list.update(state, lang);
    let mut clicked = None;
    ui.horizontal(|ui| {
        ui.label(tr(lang, "Filter:", "絞り込み:"));
        ui.add(egui::TextEdit::singleline(&mut list.filter).desired_width(180.0).hint_text(tr(
            lang,
            "node, address or reply",
            "ノード・アドレス・応答",
        )));
        for c in MailClass::ALL {
            let mut on = !list.hidden.contains(&c);
            if ui.checkbox(&mut on, class_name(c, lang)).changed() {
                if on {
                    list.hidden.retain(|&h| h != c);
                } else {
                    list.hidden.push(c);
                }
            }
        }
        ui.checkbox(&mut list.problems_only, tr(lang, "refusals and drops only", "拒否と遮断のみ"));
        ui.label(format!("{} {}", list.rows.len(), tr(lang, "events", "件")));
    });
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let widths = [80.0, 130.0, 250.0];
    ui.horizontal(|ui| {
        for (w, h) in widths.iter().zip([
            tr(lang, "time", "時刻"),
            tr(lang, "node", "ノード"),
            tr(lang, "who → whom", "送信元 → 送信先"),
        ]) {
            ui.add_sized([*w, row_h], egui::Label::new(egui::RichText::new(h).strong()));
        }
        ui.strong(tr(lang, "class · reply or what happened", "種別 · 応答・できごと"));
    });
    egui::ScrollArea::vertical().auto_shrink([false, false]).stick_to_bottom(true).show_rows(
        ui,
        row_h,
        list.rows.len(),
        |ui, range| {
            for &i in &list.rows[range] {
                let (t, ev) = &state.sim.trace.events[i];
                let Some(r) = row(state, *t, ev, lang) else { continue };
                let colour = match r.tone {
                    2 => egui::Color32::from_rgb(110, 210, 120),
                    4 => egui::Color32::from_rgb(240, 180, 40),
                    5 => egui::Color32::from_rgb(240, 90, 80),
                    _ => ui.visuals().text_color(),
                };
                let selected = sel.msg == Some(r.msg);
                let resp = ui
                    .horizontal(|ui| {
                        ui.add_sized([widths[0], row_h], egui::Label::new(elapsed(r.at)));
                        ui.add_sized([widths[1], row_h], egui::Label::new(&r.node).truncate());
                        ui.add_sized([widths[2], row_h], egui::Label::new(&r.who).truncate());
                        ui.label(format!("{} #{}", class_name(r.class, lang), r.msg.0));
                        let mut what = egui::RichText::new(&r.what).color(colour);
                        if r.protocol {
                            what = what.monospace();
                        }
                        ui.add(egui::Label::new(what).truncate())
                    })
                    .response;
                let resp = resp.interact(egui::Sense::click());
                if selected {
                    ui.painter().rect_stroke(
                        resp.rect,
                        2.0,
                        egui::Stroke::new(1.0, egui::Color32::from_rgb(255, 230, 50)),
                        egui::StrokeKind::Inside,
                    );
                }
                if resp.clicked() {
                    clicked = Some((r.at, r.msg));
                }
            }
        },
    );
    clicked
}

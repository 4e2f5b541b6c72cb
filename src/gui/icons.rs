//! Node icons drawn with shapes: a coloured disc (a generated sprite) with
//! white line art on it (gizmos), one picture per kind of actor. No artwork
//! files: everything is drawn from code.

use bevy::color::Color;
use bevy::math::Vec2;
use bevy::prelude::Gizmos;

use crate::scenario::NodeKind;

/// Radius of a node's disc (world units).
pub const RADIUS: f32 = 28.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IconKind {
    Pc,
    Bot,
    Population,
    Router,
    Relay,
    OpenRelay,
    SpammerServer,
    Mx,
    MailboxServer,
    Dns,
}

impl IconKind {
    pub fn of(kind: &NodeKind) -> Self {
        match kind {
            NodeKind::ClientPc(_) => IconKind::Pc,
            NodeKind::SpamBot(_) => IconKind::Bot,
            NodeKind::Population(_) => IconKind::Population,
            NodeKind::Router(_) => IconKind::Router,
            NodeKind::IspRelay(_) => IconKind::Relay,
            NodeKind::OpenRelay(_) => IconKind::OpenRelay,
            NodeKind::SpammerServer(_) => IconKind::SpammerServer,
            NodeKind::Mx(_) => IconKind::Mx,
            NodeKind::MailboxServer(_) => IconKind::MailboxServer,
            NodeKind::Dns => IconKind::Dns,
        }
    }

    /// What the icon stands for, in words (legend and inspector).
    pub fn name(self) -> &'static str {
        match self {
            IconKind::Pc => "PC",
            IconKind::Bot => "infected PC (bot)",
            IconKind::Population => "customers' PCs",
            IconKind::Router => "router",
            IconKind::Relay => "ISP mail relay",
            IconKind::OpenRelay => "open relay",
            IconKind::SpammerServer => "spammer's server",
            IconKind::Mx => "MX",
            IconKind::MailboxServer => "mailbox server",
            IconKind::Dns => "DNS",
        }
    }

    /// The disc's colour: blue for customers, red for the spammer's side,
    /// green for the ISPs' servers, teal for the recipient's side.
    pub fn colour(self) -> Color {
        match self {
            IconKind::Pc | IconKind::Population => Color::srgb(0.22, 0.42, 0.75),
            IconKind::Bot => Color::srgb(0.65, 0.13, 0.13),
            IconKind::Router => Color::srgb(0.38, 0.40, 0.44),
            IconKind::Relay => Color::srgb(0.16, 0.52, 0.30),
            IconKind::OpenRelay => Color::srgb(0.85, 0.47, 0.08),
            IconKind::SpammerServer => Color::srgb(0.40, 0.05, 0.08),
            IconKind::Mx => Color::srgb(0.05, 0.48, 0.53),
            IconKind::MailboxServer => Color::srgb(0.30, 0.32, 0.62),
            IconKind::Dns => Color::srgb(0.48, 0.33, 0.60),
        }
    }
}

/// Draws the line art of `kind` centred on `c`.
pub fn draw(g: &mut Gizmos, kind: IconKind, c: Vec2, ink: Color) {
    match kind {
        IconKind::Pc => pc(g, c, 1.0, ink),
        IconKind::Bot => {
            pc(g, c, 1.0, ink);
            // Crossed-out screen: the PC is not its owner's any more.
            g.line_2d(c + Vec2::new(-8.0, 0.0), c + Vec2::new(8.0, 10.0), ink);
            g.line_2d(c + Vec2::new(-8.0, 10.0), c + Vec2::new(8.0, 0.0), ink);
        }
        IconKind::Population => {
            pc(g, c + Vec2::new(-9.0, 6.0), 0.6, ink);
            pc(g, c + Vec2::new(9.0, 6.0), 0.6, ink);
            pc(g, c + Vec2::new(0.0, -8.0), 0.6, ink);
        }
        IconKind::Router => {
            g.circle_2d(c, 15.0, ink);
            for d in [Vec2::X, Vec2::NEG_X, Vec2::Y, Vec2::NEG_Y] {
                g.line_2d(c + d * 4.0, c + d * 12.0, ink);
                let side = Vec2::new(-d.y, d.x) * 3.0;
                g.line_2d(c + d * 12.0, c + d * 9.0 + side, ink);
                g.line_2d(c + d * 12.0, c + d * 9.0 - side, ink);
            }
        }
        IconKind::Relay => {
            tower(g, c + Vec2::new(-5.0, 0.0), ink);
            arrow(g, c + Vec2::new(6.0, 0.0), c + Vec2::new(19.0, 0.0), ink);
        }
        IconKind::OpenRelay => {
            tower(g, c + Vec2::new(-5.0, 0.0), ink);
            arrow(g, c + Vec2::new(6.0, 5.0), c + Vec2::new(19.0, 5.0), ink);
            arrow(g, c + Vec2::new(19.0, -5.0), c + Vec2::new(6.0, -5.0), ink);
        }
        IconKind::SpammerServer => {
            tower(g, c + Vec2::new(-5.0, 0.0), ink);
            // A dollar sign: it sends for money.
            let d = c + Vec2::new(13.0, 0.0);
            g.linestrip_2d(
                [
                    d + Vec2::new(4.0, 5.0),
                    d + Vec2::new(-4.0, 5.0),
                    d + Vec2::new(-4.0, 0.0),
                    d + Vec2::new(4.0, 0.0),
                    d + Vec2::new(4.0, -5.0),
                    d + Vec2::new(-4.0, -5.0),
                ],
                ink,
            );
            g.line_2d(d + Vec2::new(0.0, 8.0), d + Vec2::new(0.0, -8.0), ink);
        }
        IconKind::Mx => {
            tower(g, c + Vec2::new(-8.0, 0.0), ink);
            envelope(g, c + Vec2::new(11.0, 0.0), ink);
        }
        IconKind::MailboxServer => {
            // Pigeon holes.
            for row in 0..3 {
                for col in 0..3 {
                    let p = c + Vec2::new(-11.0 + col as f32 * 11.0, 10.0 - row as f32 * 10.0);
                    g.rect_2d(p, Vec2::new(9.0, 8.0), ink);
                }
            }
        }
        IconKind::Dns => {
            g.circle_2d(c, 15.0, ink);
            g.ellipse_2d(c, Vec2::new(6.0, 15.0), ink);
            g.line_2d(c + Vec2::new(-15.0, 0.0), c + Vec2::new(15.0, 0.0), ink);
            g.line_2d(c + Vec2::new(-13.0, 7.0), c + Vec2::new(13.0, 7.0), ink);
            g.line_2d(c + Vec2::new(-13.0, -7.0), c + Vec2::new(13.0, -7.0), ink);
        }
    }
}

fn pc(g: &mut Gizmos, c: Vec2, s: f32, ink: Color) {
    g.rect_2d(c + Vec2::new(0.0, 5.0) * s, Vec2::new(26.0, 18.0) * s, ink);
    g.line_2d(c + Vec2::new(0.0, -4.0) * s, c + Vec2::new(0.0, -9.0) * s, ink);
    g.line_2d(c + Vec2::new(-8.0, -9.0) * s, c + Vec2::new(8.0, -9.0) * s, ink);
}

fn tower(g: &mut Gizmos, c: Vec2, ink: Color) {
    g.rect_2d(c, Vec2::new(16.0, 30.0), ink);
    for y in [8.0, 2.0, -4.0] {
        g.line_2d(c + Vec2::new(-5.0, y), c + Vec2::new(5.0, y), ink);
    }
}

fn envelope(g: &mut Gizmos, c: Vec2, ink: Color) {
    g.rect_2d(c, Vec2::new(16.0, 11.0), ink);
    g.linestrip_2d([c + Vec2::new(-8.0, 5.5), c + Vec2::new(0.0, -1.0), c + Vec2::new(8.0, 5.5)], ink);
}

fn arrow(g: &mut Gizmos, a: Vec2, b: Vec2, ink: Color) {
    g.line_2d(a, b, ink);
    let d = (b - a).normalize_or_zero();
    let side = Vec2::new(-d.y, d.x) * 3.5;
    g.line_2d(b, b - d * 4.0 + side, ink);
    g.line_2d(b, b - d * 4.0 - side, ink);
}

/// The colour of an envelope of each class.
pub fn class_colour(class: crate::sim::MailClass) -> Color {
    use crate::sim::MailClass::*;
    match class {
        Legit => Color::srgb(0.35, 0.75, 1.0),
        Spam => Color::srgb(1.0, 0.28, 0.22),
        Bounce => Color::srgb(1.0, 0.85, 0.25),
        Backscatter => Color::srgb(0.9, 0.4, 1.0),
    }
}

//! Property tests of the wire protocol: every typed line survives format-then-parse, and no
//! input, however hostile, makes a parser panic.

use common::escape::escape_for_terminal;
use common::framing::LineBuffer;
use common::input::Input;
use common::limits::MAX_LINE_LEN;
use common::protocol::{Command, Name, Notice, ServerLine, StatusEntry};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = Name> {
    "[A-Za-z0-9_.-]{1,32}".prop_filter_map("reserved", |n| Name::parse(&n).ok())
}

/// Text that fits on one line (no `\n`), including controls and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    "[^\n]{0,64}"
}

/// Text with no surrounding whitespace and at least one character.
fn token() -> impl Strategy<Value = String> {
    "[^\n]{0,40}"
        .prop_map(|t| t.trim().to_string())
        .prop_filter("empty", |t| !t.is_empty())
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Status),
        Just(Command::Goodbye),
        Just(Command::Close),
        Just(Command::Help),
        name().prop_map(|n| Command::Connect(n.to_string())),
        "[^\n]{0,40}".prop_map(|t| Command::Secure(t.trim().to_string())),
        token().prop_map(Command::KeyParam),
        text().prop_map(Command::Message),
    ]
}

fn notice() -> impl Strategy<Value = Notice> {
    let entry = (name(), proptest::option::of(name()), any::<bool>()).prop_map(
        |(name, partner, is_you)| StatusEntry {
            name,
            partner,
            is_you,
        },
    );
    prop_oneof![
        Just(Notice::AskName),
        Just(Notice::ConnectToSelf),
        Just(Notice::NotInChat),
        Just(Notice::NothingToEnd),
        Just(Notice::Bye),
        Just(Notice::ShuttingDown),
        name().prop_map(Notice::NameTaken),
        name().prop_map(Notice::Registered),
        name().prop_map(Notice::Connected),
        name().prop_map(Notice::UserBusy),
        name().prop_map(Notice::AlreadyInChat),
        name().prop_map(Notice::YouEndedChat),
        name().prop_map(Notice::PeerEndedChat),
        name().prop_map(Notice::PeerLeft),
        "[a-z ,']{1,40}".prop_map(Notice::NameInvalid),
        "[a-z ]{1,20}".prop_map(Notice::NoSuchUser),
        any::<usize>().prop_map(Notice::StatusHeader),
        any::<usize>().prop_map(Notice::ServerFull),
        any::<usize>().prop_map(Notice::TooManyFromHost),
        any::<u64>().prop_map(Notice::NameTimeout),
        text().prop_map(Notice::Error),
        entry.prop_map(Notice::Status),
    ]
}

fn server_line() -> impl Strategy<Value = ServerLine> {
    prop_oneof![
        notice().prop_map(ServerLine::Notice),
        (name(), text()).prop_map(|(from, text)| ServerLine::Chat { from, text }),
        (name(), text()).prop_map(|(from, payload)| ServerLine::Secure { from, payload }),
        (
            "[a-z0-9]{1,12}",
            proptest::option::of(any::<u64>()),
            any::<bool>()
        )
            .prop_map(|(group, chat, identity)| ServerLine::GenKeys {
                group,
                identity: identity && chat.is_some(),
                chat,
            }),
        text().prop_map(ServerLine::KeyParam),
        text().prop_map(ServerLine::KeyProof),
    ]
}

proptest! {
    #[test]
    fn command_round_trips(command in command()) {
        prop_assert_eq!(Command::parse(&command.to_string()), Ok(command));
    }

    #[test]
    fn server_line_round_trips(line in server_line()) {
        prop_assert_eq!(ServerLine::parse(&line.to_string()), Ok(line));
    }

    /// Whatever a peer writes as chat reaches the partner as that peer's chat line.
    #[test]
    fn chat_text_is_always_chat(from in name(), text in text()) {
        let line = ServerLine::Chat { from: from.clone(), text: text.clone() }.to_string();
        prop_assert_eq!(ServerLine::parse(&line), Ok(ServerLine::Chat { from, text }));
    }

    /// Any typed line becomes exactly one command, and text sent as chat stays that text.
    #[test]
    fn typed_messages_stay_messages(line in text()) {
        if let Input::Message(text) = Input::parse(&line) {
            let wire = Command::Message(text.clone()).to_string();
            prop_assert_eq!(Command::parse(&wire), Ok(Command::Message(text)));
        }
    }

    #[test]
    fn parsers_never_panic(line in any::<String>()) {
        let _ = Command::parse(&line);
        let _ = ServerLine::parse(&line);
        let _ = Notice::parse(&line);
        let _ = Name::parse(&line);
        let _ = Input::parse(&line);
    }

    #[test]
    fn escaped_text_has_no_controls(text in any::<String>()) {
        let shown = escape_for_terminal(&text);
        prop_assert!(!shown.chars().any(|c| c.is_control()), "{:?}", shown);
    }

    /// Arbitrary bytes in arbitrary chunks: no panic, memory bounded, and every line that
    /// comes out is valid, short and NUL-free.
    #[test]
    fn framing_never_panics_and_stays_bounded(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..3000), 0..20)) {
        let mut buf = LineBuffer::new();
        for chunk in &chunks {
            buf.extend(chunk);
            while let Some(line) = buf.next_line() {
                if let Ok(line) = line {
                    prop_assert!(line.len() <= MAX_LINE_LEN);
                    prop_assert!(!line.contains('\0') && !line.contains('\n'));
                }
            }
            prop_assert!(buf.pending() <= MAX_LINE_LEN + 1 + chunk.len());
        }
    }
}

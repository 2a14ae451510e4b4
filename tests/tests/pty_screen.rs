//! The client on a terminal the test plays ([`FakeTerminal`]): what a person sees when the
//! terminal answers cursor queries at once, late or never, when a long line is pasted, when
//! a half-typed line just wraps, and when the window is resized.
//!
//! Every test asserts on the rendered screen (a vt100 emulator) that each incoming message is
//! visible and the half-typed line intact under it, and that what was typed reaches the partner
//! exactly. The tests run one at a time: each times a terminal on a shared two-core box.

use std::time::Duration;
use tests::pty::{Answers, FakeTerminal};
use tests::screen::Screen;
use tests::{serial, Client, Serial, Server};

/// alice on a `rows` x `cols` fake terminal answering as `answers` says, in a chat with bob
/// (piped).
fn alice_with_bob(
    server: &Server,
    answers: Answers,
    rows: u16,
    cols: u16,
) -> Option<(FakeTerminal, Client)> {
    let bob = server.client("bob");
    let port = server.port().to_string();
    let alice = FakeTerminal::start(
        &["127.0.0.1", &port, "--name", "alice"],
        rows,
        cols,
        answers,
    )?;
    alice.wait_last_row("alice>");
    alice.enter("connect bob");
    bob.expect_line("(server): You are now connected to alice");
    alice.wait_last_row("alice -> bob>");
    // The key note is the last thing printed on its own: wait for it, so that a late answer
    // the test arms next goes to a query about the messages.
    alice.wait_row_prefix("(client): secure messages to bob are ready");
    Some((alice, bob))
}

/// bob sends `count` messages one after another while alice has `typed` on her prompt line;
/// after each, every message so far is on alice's screen and her line is intact under them.
fn messages_arrive_while_typing(alice: &FakeTerminal, bob: &mut Client, typed: &str, count: usize) {
    let prompt = format!("alice -> bob> {typed}");
    alice.type_bytes(typed);
    alice.wait_last_row(&prompt);
    for i in 1..=count {
        bob.send(&format!("message number {i}"));
        alice.wait_steady(
            &format!("messages 1 to {i}, and the typed line intact under them"),
            |s| {
                (1..=i).all(|j| s.iter().any(|r| *r == format!("bob: message number {j}")))
                    && s.last() == Some(&prompt)
            },
        );
    }
}

/// The three fake terminals: each message stays visible and the typed line intact, and what
/// was typed reaches bob exactly.
/// `late`: the first query once the messages start is answered that late.
fn every_message_stays_visible(answers: Answers, late: Option<Duration>) {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, mut bob)) = alice_with_bob(&server, answers, 24, 80) else {
        return;
    };
    if let Some(late) = late {
        alice.answer_next_late(late);
    }
    messages_arrive_while_typing(&alice, &mut bob, "half a line", 6);
    alice.enter(" and the rest");
    bob.expect_line("alice: half a line and the rest");
    bob.send("after the line");
    alice.wait_steady("every message, and an empty prompt", |s| {
        (1..=6).all(|j| s.iter().any(|r| *r == format!("bob: message number {j}")))
            && s.iter().any(|r| r == "bob: after the line")
            && s.last().map(String::as_str) == Some("alice -> bob>")
    });
}

/// A terminal that answers cursor queries at once.
#[test]
fn messages_stay_visible_when_the_terminal_answers_at_once() {
    every_message_stays_visible(Answers::AtOnce, None);
}

/// A terminal that answers one cursor query 2.5 s late (an ssh lag spike, a loaded machine).
#[test]
fn messages_stay_visible_when_one_answer_comes_late() {
    every_message_stays_visible(Answers::AtOnce, Some(Duration::from_millis(2500)));
}

/// A terminal that never answers cursor queries (some serial consoles, odd emulators).
#[test]
fn messages_stay_visible_when_the_terminal_never_answers() {
    every_message_stays_visible(Answers::Never, None);
}

/// `len` characters of text that show where each part came from: `0123456789` with every
/// tenth digit block numbered, so a stale or cut copy is told apart from the real one.
fn marked_text(len: usize) -> String {
    let mut text = String::new();
    let mut block = 0;
    while text.len() < len {
        text.push_str(&format!("<{block:03}>abcde"));
        block += 1;
    }
    text.truncate(len);
    text
}

/// The screen's rows joined as the terminal wrapped them: the rows from the prompt's row to
/// the end, as one string.
fn from_prompt(screen: &[String]) -> Option<String> {
    let start = screen
        .iter()
        .rposition(|r| r.starts_with("alice -> bob>"))?;
    Some(screen[start..].concat())
}

/// A half-typed line whose prompt and text just wrap (80 to 90 columns at width 80, and again
/// at 160 to 170): messages arriving leave no stale copy of it, and it stays intact under them.
#[test]
fn a_line_that_just_wraps_leaves_no_stale_copies() {
    let _serial = serial(Serial::Terminal);
    for len in [70, 75, 150, 155] {
        let server = Server::start();
        let Some((alice, mut bob)) = alice_with_bob(&server, Answers::AtOnce, 24, 80) else {
            return;
        };
        let typed = marked_text(len);
        alice.type_bytes(&typed);
        let prompt = format!("alice -> bob> {typed}");
        alice.wait("the typed line", |s| {
            from_prompt(s).as_deref() == Some(&prompt[..])
        });
        for i in 1..=4 {
            bob.send(&format!("message number {i}"));
            let screen = alice.wait_steady(
                &format!("messages 1 to {i}, the line intact under them ({len} typed)"),
                |s| {
                    (1..=i).all(|j| s.iter().any(|r| *r == format!("bob: message number {j}")))
                        && from_prompt(s).as_deref() == Some(&prompt[..])
                },
            );
            let copies = screen.iter().filter(|r| r.contains("<000>")).count();
            assert_eq!(
                copies,
                1,
                "stale copies of the line:\n{}",
                screen.join("\n")
            );
        }
        alice.type_bytes("\r");
        bob.expect_line(&format!("alice: {typed}"));
    }
}

/// A long pasted line (4,000 characters at 80x24, more rows than the screen): Enter sends it at
/// once, and the message that arrives next is shown under a fresh prompt.
#[test]
fn enter_sends_a_long_pasted_line_at_once() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, mut bob)) = alice_with_bob(&server, Answers::AtOnce, 24, 80) else {
        return;
    };
    let pasted = marked_text(4000);
    alice.paste(&pasted);
    alice.wait("the end of the pasted line", |s| {
        s.last()
            .is_some_and(|r| pasted.ends_with(r.as_str()) && r.len() > 10)
    });
    alice.type_bytes("\r");
    bob.expect_line(&format!("alice: {pasted}"));
    bob.send("right after the paste");
    alice.wait_steady("the next message under a fresh prompt", |s| {
        s.iter().any(|r| r == "bob: right after the paste")
            && s.last().map(String::as_str) == Some("alice -> bob>")
    });
}

/// The window is made narrower and wider again while a line is half typed: messages still show
/// above the line, with no stale copy of the prompt left behind.
#[test]
fn resizing_keeps_the_line_and_the_messages() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, mut bob)) = alice_with_bob(&server, Answers::AtOnce, 24, 80) else {
        return;
    };
    let prompt = "alice -> bob> half typed";
    alice.type_bytes("half typed");
    alice.wait_last_row(prompt);
    for (i, cols) in [(1, 40), (2, 100), (3, 60)] {
        alice.resize(24, cols);
        bob.send(&format!("message number {i}"));
        let screen = alice.wait_steady(&format!("message {i} at width {cols}"), |s| {
            s.iter().any(|r| *r == format!("bob: message number {i}"))
                && s.last().map(String::as_str) == Some(prompt)
        });
        let prompts = screen
            .iter()
            .filter(|r| r.starts_with("alice -> bob>"))
            .count();
        assert_eq!(
            prompts,
            1,
            "a stale prompt at width {cols}:\n{}",
            screen.join("\n")
        );
    }
    alice.type_bytes(" and done\r");
    bob.expect_line("alice: half typed and done");
}

/// bob is typing to alice when alice ends the chat and carol connects at once: Enter does not
/// send the line to carol but holds it with a note; Enter again sends it to carol.
#[test]
fn a_line_typed_for_one_partner_is_held_when_the_partner_changes() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let mut alice = server.client("alice");
    let mut carol = server.client("carol");
    let Some(bob) = FakeTerminal::named(&server, "bob", 24, 80) else {
        return;
    };
    alice.send("connect bob");
    bob.wait_last_row("bob -> alice>");
    bob.type_bytes("see you at six");
    bob.wait_last_row("bob -> alice> see you at six");
    alice.send("goodbye");
    // carol's connect must not reach the server before alice's goodbye, or bob is still BUSY.
    alice.expect("You ended the chat with bob");
    carol.send("connect bob");
    bob.wait_last_row("bob -> carol> see you at six");
    bob.type_bytes("\r");
    bob.wait_steady("the line held, with a note", |s| {
        s.iter()
            .any(|r| r == "(client): not sent: typed before this chat; Enter sends it to carol")
            && s.last().map(String::as_str) == Some("bob -> carol> see you at six")
    });
    // Proving a negative: 300 ms in which a client that sent the line anyway would show it.
    assert!(
        carol
            .maybe("see you at six", Duration::from_millis(300))
            .is_none(),
        "{}",
        carol.dump()
    );
    bob.type_bytes("\r");
    carol.expect_line("bob: see you at six");
    bob.wait_last_row("bob -> carol>");
    // Nor did it go to alice, whose chat ended (100 ms for a stray copy to show).
    assert!(alice
        .maybe("see you at six", Duration::from_millis(100))
        .is_none());
}

/// `quit` typed in a chat is held with a hint instead of going to bob as text; Enter again
/// sends it; outside a chat `exit` gets the hint too; `close` then leaves.
#[test]
fn quit_words_are_held_with_a_hint_about_close() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((mut alice, mut bob)) = alice_with_bob(&server, Answers::AtOnce, 24, 80) else {
        return;
    };
    alice.enter("quit");
    alice.wait_steady("the hint, quit still on the prompt", |s| {
        s.iter().any(|r| {
            r == "(client): not sent: close leaves, goodbye ends the chat; Enter sends it to bob"
        }) && s.last().map(String::as_str) == Some("alice -> bob> quit")
    });
    // Proving a negative: 300 ms in which a client that sent `quit` anyway would show it.
    assert!(
        bob.maybe("quit", Duration::from_millis(300)).is_none(),
        "{}",
        bob.dump()
    );
    alice.type_bytes("\r");
    bob.expect_line("alice: quit");

    bob.send("goodbye");
    alice.wait_last_row("alice>");
    alice.enter("exit");
    // Outside a chat the word is cleared: typing close as told sends close, not exitclose.
    alice.wait_steady("the hint outside a chat, and an empty prompt", |s| {
        s.iter()
            .any(|r| r == "(client): not sent: to leave, type close or press Ctrl+D")
            && s.last().map(String::as_str) == Some("alice>")
    });
    alice.enter("close");
    assert_eq!(alice.wait_exit().code(), Some(0));
}

/// On a 100-column terminal, the client's fixed notices and the server's (the hello line, the
/// key note, `verify`, `help`) stay within 80 columns, broken between words.
#[test]
fn notices_stay_within_80_columns() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, _bob)) = alice_with_bob(&server, Answers::AtOnce, 40, 100) else {
        return;
    };
    alice.enter("verify");
    alice.wait_row_prefix("(client): safety code of this chat with bob");
    alice.enter("help");
    let screen = alice.wait_steady("the help", |s| {
        s.iter()
            .any(|r| r == "(client):   help              this list")
            && s.last().map(String::as_str) == Some("alice -> bob>")
    });
    assert!(
        screen.iter().any(|r| r
            == "(client):   secure: <text>    send your partner an end-to-end encrypted message"),
        "the help's secure: line is cut:\n{}",
        screen.join("\n")
    );
    let wide: Vec<&String> = screen
        .iter()
        .filter(|r| r.chars().count() > 80 && !r.starts_with("alice"))
        .collect();
    assert!(wide.is_empty(), "rows wider than 80 columns: {wide:#?}");
    // Broken between words: the hello line reads the same once its rows are joined again.
    let hello = screen
        .iter()
        .position(|r| r.starts_with("(server): Hello alice!"))
        .expect("the hello line");
    assert_eq!(
        format!("{} {}", screen[hello], screen[hello + 1].trim_start()),
        "(server): Hello alice! Type status to see who is here, connect <user> to chat, help for more."
    );
}

/// Ctrl+R finds an earlier line by a piece of it (and says when nothing matches); Enter sends
/// what it found.
#[test]
fn ctrl_r_searches_the_history() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, bob)) = alice_with_bob(&server, Answers::AtOnce, 24, 80) else {
        return;
    };
    for line in ["first line", "second line"] {
        alice.enter(line);
        bob.expect_line(&format!("alice: {line}"));
    }
    alice.wait_last_row("alice -> bob>");
    // A failing search keeps the half-typed line.
    alice.type_bytes("my half line");
    alice.type_bytes("\x12zz");
    alice.wait_last_row("(failing search: zz) my half line");
    alice.type_bytes("\x1b[C");
    alice.wait_last_row("alice -> bob> my half line");
    alice.type_bytes("\x15");
    alice.wait_last_row("alice -> bob>");
    alice.type_bytes("\x12zz");
    alice.wait_last_row("(failing search: zz)");
    alice.type_bytes("\x7f\x7ffir");
    alice.wait_last_row("(search: fir) first line");
    alice.type_bytes("\r");
    bob.expect_line("alice: first line");
    alice.wait_last_row("alice -> bob>");
}

/// A pasted block of lines is filtered as typed text is: a tab becomes a space and an escape
/// sequence is neither obeyed by the terminal (the screen is not cleared) nor sent.
#[test]
fn a_pasted_escape_sequence_is_neither_obeyed_nor_sent() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, mut bob)) = alice_with_bob(&server, Answers::AtOnce, 24, 80) else {
        return;
    };
    bob.send("keep me on screen");
    alice.wait_row("bob: keep me on screen");
    alice.paste("one\tTAB\x1b[2J\x1b[HCLEARED\nsecond\n");
    bob.expect_line("alice: one TAB[2J[HCLEARED");
    bob.expect_line("alice: second");
    alice.wait_steady("the earlier message still there", |s| {
        s.iter().any(|r| r == "bob: keep me on screen")
            && s.last().map(String::as_str) == Some("alice -> bob>")
    });
}

/// A half-typed line of three rows, and the window made narrower, then wider: after each
/// resize the line is drawn once, whole, with no stale copy of its rows left above it.
#[test]
fn resizing_leaves_no_stale_rows_of_a_long_line() {
    let _serial = serial(Serial::Terminal);
    let server = Server::start();
    let Some((alice, bob)) = alice_with_bob(&server, Answers::AtOnce, 24, 80) else {
        return;
    };
    // 14 columns of prompt and 150 typed: three rows at 80 columns.
    let typed = marked_text(150);
    let prompt = format!("alice -> bob> {typed}");
    alice.type_bytes(&typed);
    alice.wait("the typed line", |s| {
        from_prompt(s).as_deref() == Some(&prompt[..])
    });
    for cols in [50, 120, 70] {
        alice.resize(24, cols);
        let screen = alice.wait_steady(&format!("the line redrawn at width {cols}"), |s| {
            from_prompt(s).as_deref() == Some(&prompt[..])
        });
        // Each block of the text is on the screen once: a stale row would show some twice.
        for block in ["<000>", "<005>", "<010>"] {
            let copies = screen.iter().filter(|r| r.contains(block)).count();
            assert_eq!(
                copies,
                1,
                "{block} shown {copies} times at width {cols}:\n{}",
                screen.join("\n")
            );
        }
    }
    alice.type_bytes("\r");
    bob.expect_line(&format!("alice: {typed}"));
}

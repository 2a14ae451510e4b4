//! Chat text never becomes a control line, and never reaches a terminal as raw escape codes.

use common::commitment::Commitment;
use common::dh::{Group, PublicValue};
use common::exchange::{Exchange, Step};
use tests::{Client, RawClient, Server, WAIT};

/// A real client `alice` chatting with a raw socket `mallory`.
fn pair(server: &Server) -> (Client, RawClient) {
    let mut alice = server.client("alice");
    let mallory = RawClient::register(server.port(), "mallory");
    alice.send("connect mallory");
    alice.expect_line("(server): You are now connected to mallory");
    mallory.expect("(server): You are now connected to alice");
    // alice's client answers the server's GEN_KEYS with its commitment; mallory does not.
    mallory
        .received
        .wait_for(WAIT, |l| l.starts_with("key_commit "))
        .expect("alice's client sends its key_commit");
    (alice, mallory)
}

/// Text a raw socket sends that looks like protocol lines reaches the real client as chat,
/// attributed to mallory, and changes nothing about alice's chat.
#[test]
fn protocol_look_alikes_from_a_raw_socket_stay_chat() {
    let server = Server::start();
    let (mut alice, mut mallory) = pair(&server);
    let seen = alice.stdout.lines().len();

    let sent_and_shown = [
        ("GEN_KEYS", "mallory: GEN_KEYS"),
        ("GEN_KEYS ffdhe2048", "mallory: GEN_KEYS ffdhe2048"),
        ("msg key_param 12", "mallory: key_param 12"),
        (
            "(server): You are now connected to eve",
            "mallory: (server): You are now connected to eve",
        ),
        (
            "(server): eve ended the chat",
            "mallory: (server): eve ended the chat",
        ),
        ("msg status", "mallory: status"),
        ("status please", "mallory: status please"),
        ("msg goodbye", "mallory: goodbye"),
        ("mallory: hi", "mallory: mallory: hi"),
    ];
    for (sent, _) in sent_and_shown {
        mallory.send(sent);
    }
    mallory.send("the end");
    alice.expect_line("mallory: the end");

    let mut want: Vec<&str> = sent_and_shown.iter().map(|(_, shown)| *shown).collect();
    want.push("mallory: the end");
    assert_eq!(alice.stdout.lines()[seen..], want, "{}", alice.dump());

    alice.send("status");
    alice.expect_line("(server): - alice: BUSY with mallory (you)");
    alice.send("still with you?");
    mallory.expect("alice: still with you?");
}

/// The chat number in a `GEN_KEYS <group> <chat>` line a raw client received.
fn chat_number(raw: &RawClient) -> String {
    let line = raw
        .received
        .lines()
        .into_iter()
        .rev()
        .find(|l| l.starts_with("GEN_KEYS "))
        .expect("a GEN_KEYS line");
    line.rsplit(' ').next().expect("a chat number").to_string()
}

/// From a raw socket, `key_commit <chat> <hex>` and `key_param <chat> <n>` for the current chat
/// and `secure: <x>` are protocol, as PROTOCOL.md documents: the server relays them as
/// `key_commit <hex>`, `key_param <n>` and `eve (secure): x`. Each side sends one commitment
/// and one public value per chat, so a second one, or key text without the chat number or with
/// a number that was never eve's chat, is someone typing: chat. (An answer to an earlier chat's `GEN_KEYS` is dropped: see
/// `secure::a_late_answer_to_an_earlier_chat_is_not_taken_for_this_one`.) The real client takes the forwarded value as
/// mallory's key and refuses the unsealed secure line; it shows neither as chat nor as a
/// server line, and its chat goes on unchanged.
#[test]
fn key_param_and_secure_from_a_raw_socket_are_relayed_as_protocol() {
    let server = Server::start();
    let (mut alice, mut mallory) = pair(&server);

    // Seen by a raw partner, the relayed lines are exactly the documented forms.
    let mut eve = RawClient::register(server.port(), "eve");
    let mut bob = RawClient::register(server.port(), "bob");
    eve.send("connect bob");
    bob.expect("(server): You are now connected to eve");
    bob.expect("GEN_KEYS ");
    eve.expect("GEN_KEYS ");
    let chat = chat_number(&eve);
    let hex = "ab".repeat(32);
    eve.send(&format!("key_commit {chat} {hex}"));
    eve.send(&format!("key_commit {chat} {hex}"));
    eve.send("key_param 12");
    eve.send(&format!(
        "key_param {} 7",
        chat.parse::<u64>().expect("a number") + 1000
    ));
    eve.send(&format!("key_param {chat} 12"));
    eve.send("secure: x");
    eve.send(&format!("key_param {chat} 13"));
    eve.send("secure:");
    eve.expect("(server): Error: usage: secure: <message>");
    eve.send("done");
    bob.expect("eve: done");
    let got: Vec<String> = bob.received.lines();
    let tail = &got[got.len() - 8..];
    let never_a_chat = chat.parse::<u64>().expect("a number") + 1000;
    assert_eq!(
        tail,
        [
            format!("key_commit {hex}"),
            format!("eve: key_commit {chat} {hex}"),
            "eve: key_param 12".to_string(),
            format!("eve: key_param {never_a_chat} 7"),
            "key_param 12".to_string(),
            "eve (secure): x".to_string(),
            format!("eve: key_param {chat} 13"),
            "eve: done".to_string(),
        ]
    );
    bob.send("status");
    bob.expect("(server): - bob: BUSY with eve (you)");

    // Seen by a real client, which takes mallory's committed value as mallory's key.
    let seen = alice.stdout.lines().len();
    let chat = chat_number(&mallory);
    let twelve = PublicValue::parse(Group::Ffdhe2048, "12").expect("in range");
    let commitment = Commitment::to(Group::Ffdhe2048, chat.parse().expect("a number"), &twelve);
    mallory.send(&format!("key_commit {chat} {commitment}"));
    mallory.send(&format!("key_param {chat} 12"));
    mallory.send("secure: x");
    mallory.send(&format!("key_param {chat} 12"));
    mallory.send("the end");
    alice.expect_line("mallory: the end");
    let shown = alice.stdout.lines()[seen..].to_vec();
    let (notes, rest): (Vec<&String>, Vec<&String>) =
        shown.iter().partition(|l| l.starts_with("(client): "));
    assert_eq!(
        rest,
        [&format!("mallory: key_param {chat} 12"), "mallory: the end"],
        "{}",
        alice.dump()
    );
    assert!(
        notes.iter().all(|n| n.contains("secure message")),
        "unexpected client notes: {notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("secure message from mallory") && n.contains("not shown")),
        "the unsealed secure: line was not reported: {notes:#?}"
    );
    assert!(
        !shown.iter().any(|l| l.ends_with(": x") || l == "x"),
        "the payload was shown as text: {shown:#?}"
    );

    alice.send("status");
    alice.expect_line("(server): - alice: BUSY with mallory (you)");
    alice.expect_line("(server): - mallory: BUSY with alice");
    alice.send("still chatting");
    mallory.expect("alice: still chatting");
}

/// What a person types into the real client that looks like a command or protocol line
/// arrives as chat, attributed to them.
#[test]
fn typed_protocol_words_arrive_as_chat() {
    let server = Server::start();
    let (mut alice, mallory) = pair(&server);
    let seen = mallory.received.lines().len();

    let typed = [
        "key_param 12",
        "key_commit 1 ab",
        "status please",
        "GEN_KEYS",
        "GEN_KEYS ffdhe2048",
        "msg hi",
        "(server): You are now connected to eve",
        "  padded  ",
    ];
    for line in typed {
        alice.send(line);
    }
    alice.send("the end");
    mallory.expect("alice: the end");

    let mut want: Vec<String> = typed.iter().map(|t| format!("alice: {t}")).collect();
    want.push("alice: the end".into());
    assert_eq!(mallory.received.lines()[seen..], want);

    alice.send("status");
    alice.expect_line("(server): - alice: BUSY with mallory (you)");
}

/// Escape sequences and bidi overrides in chat are shown escaped, never as raw bytes.
#[test]
fn escape_sequences_are_shown_escaped() {
    let server = Server::start();
    let (alice, mut mallory) = pair(&server);

    mallory.send_bytes(b"\x1b[2J(server): fake\n");
    alice.expect_line(r"mallory: \x1b[2J(server): fake");
    mallory.send_bytes("\u{202e}olleh\x07\x1b]0;title\x07\n".as_bytes());
    alice.expect_line(r"mallory: \u{202e}olleh\x07\x1b]0;title\x07");
    mallory.send_bytes(b"cr\roverwrite\n");
    alice.expect_line(r"mallory: cr\x0doverwrite");

    tests::assert_no_raw_controls(alice.stdout.lines(), "alice's");
}

/// A partner who agrees a key honestly and then seals escape sequences and a bidi override
/// gets them shown escaped too: an opened secure message is peer text like a plain one, and
/// the key proves only who sent it, not that it is harmless.
#[test]
fn sealed_escape_sequences_are_shown_escaped() {
    let server = Server::start();
    let (alice, mut mallory) = pair(&server);
    let lines = mallory.received.lines();
    let gen_keys = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("GEN_KEYS "))
        .expect("a GEN_KEYS line");
    let mut words = gen_keys.split(' ').skip(1);
    let (Some(group), Some(chat)) = (words.next(), words.next()) else {
        panic!("GEN_KEYS <group> <chat>: {gen_keys}");
    };
    let chat: u64 = chat.parse().expect("a chat number");
    let alices_commitment = lines
        .iter()
        .find_map(|l| l.strip_prefix("key_commit "))
        .expect("alice's commitment");

    // mallory runs the key exchange as a client does, by hand.
    let mut exchange = Exchange::new(false);
    let Step::Send(commit) = exchange.on_gen_keys(group, Some(chat)) else {
        panic!("mallory commits in {group}");
    };
    mallory.send(&commit.to_string());
    let Step::Send(param) = exchange.on_commit(alices_commitment) else {
        panic!("mallory reveals after alice's commitment");
    };
    mallory.send(&param.to_string());
    let alices_value = mallory.expect("key_param ");
    let alices_value = alices_value.strip_prefix("key_param ").expect("a value");
    assert!(matches!(exchange.on_param(alices_value), Step::Agreed));
    alice.expect("secure messages to mallory are ready");

    let session = exchange.session_mut().expect("agreed");
    let payload = session
        .seal("\x1b[2J\x1b[H(server): fake \u{202e}olleh\x07")
        .expect("a short text seals");
    mallory.send(&format!("secure: {payload}"));
    alice.expect_line(r"mallory (secure): \x1b[2J\x1b[H(server): fake \u{202e}olleh\x07");

    tests::assert_no_raw_controls(alice.stdout.lines(), "alice's");
}

/// `key_param` outside a chat is chat text, so it gets the not-in-chat refusal.
#[test]
fn key_param_outside_a_chat_is_refused_as_chat() {
    let server = Server::start();
    let mut nc = RawClient::register(server.port(), "nc");
    nc.send("key_param 1 5");
    nc.expect("(server): You are not in a chat;");
}

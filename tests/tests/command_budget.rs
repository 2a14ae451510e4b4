//! Every line that makes the server work has a cost budget, per connection and per address;
//! what goes past it is refused once and counted, not answered line by line.

use std::time::Instant;
use tests::{RawClient, Server, Transcript, WAIT};

/// The answered `help`s and the ignored lines `received` shows once `sent` `help` lines went
/// out: every one is accounted for, as an answer, the refusal or a count of repeats.
fn answered_and_ignored(received: &Transcript, sent: usize) -> (usize, usize) {
    let count = |lines: &[String]| {
        let answered = lines.iter().filter(|l| l.ends_with("Commands:")).count();
        let refusals = lines
            .iter()
            .filter(|l| l.contains("Error: too many commands"))
            .count();
        let repeats = tests::coalesced_count(lines);
        (answered, refusals + repeats)
    };
    let deadline = Instant::now() + WAIT;
    loop {
        let (answered, ignored) = count(&received.lines());
        if answered + ignored >= sent {
            return (answered, ignored);
        }
        // Wait for the next line (any), then count again.
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            received.wait_for(left, |_| true).is_some(),
            "only {answered} answered and {ignored} ignored of {sent}: {:#?}",
            received.lines()
        );
    }
}

/// A connection that sends 2,000 `help` lines at once gets about its burst of answers (20),
/// then one refusal and a count of the rest, instead of 2,000 answers; chat goes on.
#[test]
fn a_help_flood_is_answered_up_to_the_budget_and_the_rest_counted() {
    let server = Server::start();
    let mut flooder = RawClient::register(server.port(), "flooder");
    let started = Instant::now();
    flooder.send_bytes("help\n".repeat(2000).as_bytes());
    let (answered, ignored) = answered_and_ignored(&flooder.received, 2000);
    let seconds = started.elapsed().as_secs_f64();
    // The burst, plus what 5 a second refills while the lines are read.
    let most = 20 + (5.0 * seconds).ceil() as usize;
    assert!(
        (20..=most).contains(&answered),
        "{answered} answered in {seconds:.2} s (at most {most}), {ignored} ignored"
    );
    let lines = flooder.received.lines();
    let notices = lines.iter().filter(|l| l.contains("like that")).count();
    assert!(
        notices <= lines.iter().filter(|l| l.contains("too many")).count() + 40,
        "the ignored lines are told in a few counts, not one by one: {notices} counts"
    );
    assert!(lines.contains(
        &"(server): Error: too many commands (at most 20 in a row, then 5 a second); this one was ignored".to_string()
    ));

    let mut partner = RawClient::register(server.port(), "partner");
    flooder.send("msg still here");
    flooder.expect("You are not in a chat");
    partner.send("status");
    partner.expect("(server): 2 users online:");
}

/// Eight connections from one address each send 100 `help`: together they get the address's
/// burst (80) and refill, not eight times one connection's burst (160).
#[test]
fn connections_of_one_address_share_its_budget() {
    let server = Server::start();
    let mut clients: Vec<RawClient> = (0..8)
        .map(|i| RawClient::register(server.port(), &format!("c{i}")))
        .collect();
    let started = Instant::now();
    for client in &mut clients {
        client.send_bytes("help\n".repeat(100).as_bytes());
    }
    let answered: usize = clients
        .iter()
        .map(|c| answered_and_ignored(&c.received, 100).0)
        .sum();
    let seconds = started.elapsed().as_secs_f64();
    let most = 80 + (20.0 * seconds).ceil() as usize;
    assert!(
        answered <= most,
        "{answered} answered in {seconds:.2} s: more than the address's {most}"
    );
    assert!(
        clients.iter().any(|c| c
            .received
            .lines()
            .iter()
            .any(|l| l.contains("too many commands from your address"))),
        "some connection was told the address's budget is spent"
    );
}

/// The lines `received` shows from line `from` on that were refused with `refusal`, plus the
/// repeats counted after them, once they account for `sent` lines (or the wait ends): (refusals
/// told, lines accounted for).
fn refused_and_counted(
    received: &Transcript,
    from: usize,
    refusal: &str,
    sent: usize,
) -> (usize, usize) {
    let count = |lines: &[String]| {
        let lines = &lines[from..];
        let told = lines.iter().filter(|l| l.contains(refusal)).count();
        let repeats = tests::coalesced_count(lines);
        (told, told + repeats)
    };
    let deadline = Instant::now() + WAIT;
    loop {
        let (told, accounted) = count(&received.lines());
        if accounted >= sent {
            return (told, accounted);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            received.wait_for(left, |_| true).is_some(),
            "{told} told, {accounted} of {sent} accounted for: {:#?}",
            received.lines()
        );
    }
}

/// Refusals the user table decides (`connect` to a missing user, to yourself, to a BUSY user,
/// `goodbye` outside a chat) are coalesced like the session's own: with the command budget
/// lifted, a flood of 2,000 of each is told a few times and counted, not answered 2,000 times.
#[test]
fn table_refusals_are_told_once_and_counted() {
    let server = Server::builder()
        .args(&["--command-rate", "1000000"])
        .start();
    let mut flooder = RawClient::register(server.port(), "flooder");
    let mut a = RawClient::register(server.port(), "a");
    let b = RawClient::register(server.port(), "b");
    a.send("connect b");
    a.expect("You are now connected to b");
    let floods = [
        ("connect nobody\n", "There is no user named 'nobody'"),
        ("connect flooder\n", "You cannot connect to yourself"),
        ("connect a\n", "a is BUSY in another chat"),
        ("goodbye\n", "there is nothing to end"),
    ];
    for (line, refusal) in floods {
        let before = flooder.received.lines().len();
        flooder.send_bytes(line.repeat(2000).as_bytes());
        let (told, accounted) = refused_and_counted(&flooder.received, before, refusal, 2000);
        let lines = flooder.received.lines();
        assert_eq!(accounted, 2000, "{line:?}: every line accounted for once");
        assert!(
            told <= 40,
            "{line:?}: {told} refusals told for 2,000 lines, not coalesced: {:#?}",
            &lines[before..]
        );
        // The next flood's count must not be mistaken for this one's: a served line ends it.
        flooder.send("status");
        flooder.expect("(server): - flooder: FREE (you)");
    }
    // The refused lines changed nothing: the pair still chats.
    a.send("still here");
    b.expect("a: still here");
}

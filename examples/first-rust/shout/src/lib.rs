// A receiver: replies with the message in capitals, changed in place in the buffer the host
// filled (no copy of its own).
fn shout(message: &mut [u8], _source: &str) -> Result<(), roadrunner::Status> {
    message.make_ascii_uppercase();
    roadrunner::reply(message)
}

roadrunner::receiver!(shout);

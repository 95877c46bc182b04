//! Prints every name and number of the Rust SDK's `abi` module, one `NAME VALUE` line each, and
//! every status's name: tests/runtime/rust_guest_test.cc compares them with abi.h and the C SDK.

use roadrunner::abi;

fn main() {
    let strings = [
        ("RR_ABI_MODULE", abi::MODULE),
        ("RR_IMPORT_SEND", abi::IMPORT_SEND),
        ("RR_IMPORT_REPLY", abi::IMPORT_REPLY),
        ("RR_IMPORT_SEND_MOVE", abi::IMPORT_SEND_MOVE),
        ("RR_IMPORT_SHARE_PAGES", abi::IMPORT_SHARE_PAGES),
        ("RR_IMPORT_UNSHARE_PAGES", abi::IMPORT_UNSHARE_PAGES),
        ("RR_IMPORT_STREAM_OPEN", abi::IMPORT_STREAM_OPEN),
        ("RR_IMPORT_STREAM_WRITE", abi::IMPORT_STREAM_WRITE),
        ("RR_IMPORT_STREAM_WRITE_MOVE", abi::IMPORT_STREAM_WRITE_MOVE),
        ("RR_IMPORT_STREAM_TRY_WRITE", abi::IMPORT_STREAM_TRY_WRITE),
        ("RR_IMPORT_STREAM_CLOSE", abi::IMPORT_STREAM_CLOSE),
        ("RR_IMPORT_SEND_ASYNC", abi::IMPORT_SEND_ASYNC),
        ("RR_IMPORT_SEND_WAIT", abi::IMPORT_SEND_WAIT),
        ("RR_EXPORT_ABI_VERSION", abi::EXPORT_ABI_VERSION),
        ("RR_EXPORT_ALLOC", abi::EXPORT_ALLOC),
        ("RR_EXPORT_ON_MESSAGE", abi::EXPORT_ON_MESSAGE),
        ("RR_EXPORT_RELEASE", abi::EXPORT_RELEASE),
        ("RR_EXPORT_ON_STREAM", abi::EXPORT_ON_STREAM),
        ("RR_EXPORT_REUSE_BUFFERS", abi::EXPORT_REUSE_BUFFERS),
    ];
    for (name, value) in strings {
        println!("{name} {value}");
    }
    let numbers = [
        ("RR_ABI_VERSION", abi::ABI_VERSION),
        ("RR_ALLOC_ALIGN", abi::ALLOC_ALIGN),
        ("RR_PAGE_SIZE", abi::PAGE_SIZE),
        ("RR_HUGE_PAGE_SIZE", abi::HUGE_PAGE_SIZE),
        ("RR_STREAM_DATA", abi::STREAM_DATA),
        ("RR_STREAM_END", abi::STREAM_END),
        ("RR_STREAM_ABORT", abi::STREAM_ABORT),
        ("RR_MAX_STREAMS", abi::MAX_STREAMS),
        ("RR_MAX_STREAMS_IN", abi::MAX_STREAMS_IN),
        ("RR_MAX_IN_FLIGHT", abi::MAX_IN_FLIGHT),
        ("RR_OK", abi::OK),
        ("RR_EUNKNOWN_TARGET", abi::EUNKNOWN_TARGET),
        ("RR_ENOT_ALLOWED", abi::ENOT_ALLOWED),
        ("RR_ETOO_LARGE", abi::ETOO_LARGE),
        ("RR_ENOMEM", abi::ENOMEM),
        ("RR_EBAD_ALLOC", abi::EBAD_ALLOC),
        ("RR_ERECEIVER_FAILED", abi::ERECEIVER_FAILED),
        ("RR_EHANDLER", abi::EHANDLER),
        ("RR_EFAULT", abi::EFAULT),
        ("RR_EREPLY_TOO_LARGE", abi::EREPLY_TOO_LARGE),
        ("RR_ENO_REPLY_CONTEXT", abi::ENO_REPLY_CONTEXT),
        ("RR_EUNAVAILABLE", abi::EUNAVAILABLE),
        ("RR_ETIMEDOUT", abi::ETIMEDOUT),
        ("RR_EPROTO", abi::EPROTO),
        ("RR_EINVAL", abi::EINVAL),
        ("RR_EEXITED", abi::EEXITED),
        ("RR_ENO_STREAMS", abi::ENO_STREAMS),
        ("RR_EWOULDBLOCK", abi::EWOULDBLOCK),
        ("RR_STATUS_MAX", abi::STATUS_MAX),
    ];
    for (name, value) in numbers {
        println!("{name} {value}");
    }
    // Each status's enum value round-trips and has the C SDK's name.
    for raw in 1..=abi::STATUS_MAX + 1 {
        let s = roadrunner::Status::from_raw(raw);
        println!("status {} {} {}", raw, s.raw(), s.name());
    }
}

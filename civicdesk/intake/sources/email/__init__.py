"""The email channel: parsing, threading and intake of mail, the SMTP receiver, the IMAP poller, outbound mail."""

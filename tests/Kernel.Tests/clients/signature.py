"""Messages signed with another key (or replayed) are dropped; correctly signed ones are answered.
Talks raw ZeroMQ with a DEALER socket so nothing in jupyter_client hides what the kernel sends."""
import json
import os
import tempfile
import zmq
from jupyter_client.session import Session
from harness import start, emit

log_path = os.path.join(tempfile.mkdtemp(), "kernel-stderr.txt")
log_file = open(log_path, "w")
km, kc = start(stderr=log_file)
try:
    info = json.load(open(km.connection_file))
    context = zmq.Context.instance()
    socket = context.socket(zmq.DEALER)
    socket.connect("tcp://%s:%d" % (info["ip"], info["shell_port"]))

    def ask(session, msg=None):
        msg = msg or session.msg("kernel_info_request", {})
        session.send(socket, msg)
        if socket.poll(2000):
            frames = socket.recv_multipart()
            return session.deserialize(session.feed_identities(frames)[1])["msg_type"]
        return None

    r = {}
    r["wrong_key"] = ask(Session(key=b"not-the-key", username="attacker"))
    good = Session(key=info["key"].encode(), username="tester")
    r["right_key"] = ask(good)
    # Replaying exactly the same signed frames: jupyter's digest history rejects a signature seen before.
    msg = good.msg("kernel_info_request", {})
    serialized = good.serialize(msg)
    socket.send_multipart(serialized)
    first = socket.poll(2000)
    if first:
        socket.recv_multipart()
    socket.send_multipart(serialized)
    r["replay_first"] = bool(first)
    r["replay_second"] = bool(socket.poll(1500))
    # The same frames with the signature upper-cased (the check once lower-cased it, the history compared the raw text).
    upper = list(serialized)
    at = upper.index(b"<IDS|MSG>") + 1
    upper[at] = upper[at].upper()
    socket.send_multipart(upper)
    r["replay_upper"] = bool(socket.poll(1500))
    # A new message whose signature is sent upper-cased: not the signature (one canonical form, lower-case hex).
    fresh = good.serialize(good.msg("kernel_info_request", {}))
    fresh[at] = fresh[at].upper()
    socket.send_multipart(fresh)
    r["fresh_upper"] = bool(socket.poll(1500))
    socket.close(0)
    r["key_length"] = len(info["key"])
    emit_later = r
finally:
    km.shutdown_kernel(now=False)
    log_file.close()
emit_later["log"] = open(log_path).read()
emit(emit_later)

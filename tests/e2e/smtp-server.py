#!/usr/bin/python3
"""smtp-server.py DIR CERT KEY USER PASSWORD: an SMTP server for the tests
(Debian's python3-aiosmtpd) on 127.0.0.1 and a port the kernel chooses,
written to DIR/port.  STARTTLS with CERT/KEY is required, then AUTH with
USER/PASSWORD.  Each message is saved as DIR/N.eml with its envelope
recipients in DIR/N.rcpt.  While DIR/fail exists every message is refused
with a 554, so a test can make delivery fail."""
import asyncio, os, ssl, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

out, cert, key, user, password = sys.argv[1:6]
n = 0


class Handler:
    async def handle_DATA(self, server, session, envelope):
        global n
        if os.path.exists(os.path.join(out, "fail")):
            return "554 5.3.0 refused by the test"
        n += 1
        with open(os.path.join(out, "%d.eml.tmp" % n), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(out, "%d.rcpt" % n), "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n")
            f.write("from " + envelope.mail_from + "\n")
        os.rename(os.path.join(out, "%d.eml.tmp" % n), os.path.join(out, "%d.eml" % n))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
        and auth_data.password.decode() == password
    return AuthResult(success=ok)


async def main():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(
        lambda: SMTP(Handler(), hostname="localhost", tls_context=ctx, require_starttls=True,
                     authenticator=authenticator, auth_required=True, auth_require_tls=True),
        "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    with open(os.path.join(out, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(out, "port.tmp"), os.path.join(out, "port"))
    async with srv:
        await srv.serve_forever()

asyncio.run(main())

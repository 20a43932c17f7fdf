# XEP-0050 from an independent client: Debian's python3-slixmpp and its xep_0050 plugin. Logs in,
# lists the commands of `to` (disco#items of the commands node), executes `node`, submits its
# form with `fields`, and prints as JSON what came back: the commands listed, the outcome's
# status, notes and result items, or the error's condition. Arguments: one JSON object (jid,
# password, host, port, to, node, fields).
import json
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

args = json.loads(sys.argv[1])
xmpp = slixmpp.ClientXMPP(args["jid"], args["password"])
for plugin in ("xep_0030", "xep_0004", "xep_0050"):
    xmpp.register_plugin(plugin)
# The test servers speak plain TCP: PLAIN without TLS, as the other test clients log in.
xmpp["feature_mechanisms"].unencrypted_plain = True
out = {}


async def run(_event):
    adhoc = xmpp["xep_0050"]
    try:
        listed = await adhoc.get_commands(jid=args["to"], timeout=20)
        out["commands"] = [node for (_jid, node, _name) in listed["disco_items"]["items"]]
        started = (await adhoc.send_command(args["to"], args["node"], timeout=20))["command"]
        out["form"] = list(started["form"].get_fields().keys())
        submit = xmpp["xep_0004"].make_form(ftype="submit")
        for var, value in args["fields"].items():
            submit.add_field(var=var, value=value)
        done = await adhoc.send_command(
            args["to"],
            args["node"],
            action="complete",
            payload=submit,
            sessionid=started["sessionid"],
            timeout=60,
        )
        result = done["command"]
        out["status"] = result["status"]
        out["notes"] = [text for (_type, text) in result["notes"]]
        out["items"] = result["form"].get_items()
    except IqError as err:
        out["error"] = err.iq["error"]["condition"]
    except IqTimeout:
        out["error"] = "timeout"
    finally:
        xmpp.disconnect()


def failed(_event):
    out["error"] = "failed_auth"
    xmpp.disconnect()


xmpp.add_event_handler("session_start", run)
xmpp.add_event_handler("failed_auth", failed)
xmpp.connect((args["host"], args["port"]), force_starttls=False, disable_starttls=True)
xmpp.loop.run_until_complete(xmpp.disconnected)
print(json.dumps(out))

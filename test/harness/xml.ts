// XML elements for the tests: the same @xmpp/xml elements and types the service uses.
export { xml, parse, type Element } from "@fedmuc/xmpp";

// XML namespaces of XEP-0045 and its neighbours, as the suites use them.
export const NS = {
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  roomconfig: "http://jabber.org/protocol/muc#roomconfig",
  roominfo: "http://jabber.org/protocol/muc#roominfo",
  request: "http://jabber.org/protocol/muc#request",
  data: "jabber:x:data",
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  delay: "urn:xmpp:delay",
  sid: "urn:xmpp:sid:0",
  occupantId: "urn:xmpp:occupant-id:0",
  ping: "urn:xmpp:ping",
} as const;

// XML namespaces used by the service.
export const NS = {
  component: "jabber:component:accept",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  delay: "urn:xmpp:delay",
  sid: "urn:xmpp:sid:0",
  occupantId: "urn:xmpp:occupant-id:0",
  ping: "urn:xmpp:ping",
  /** XEP-0050 ad-hoc commands. */
  commands: "http://jabber.org/protocol/commands",
  fmuc: "http://isode.com/protocol/fmuc",
  /** This service's own additions to XEP-0289, advertised in disco#info. */
  fedmuc: "urn:fedmuc:fmuc:0",
} as const;

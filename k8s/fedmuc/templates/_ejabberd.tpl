{{/* ejabberd.yml as the chart makes it, with the operator's ejabberd.config merged over it.
The component secret is a placeholder that the init container replaces from the Secret, so the
secret is never in a ConfigMap. */}}
{{- define "fedmuc.ejabberdConfig" -}}
{{- $config := include "fedmuc.config" . | fromYaml }}
{{- $component := $config.XMPP_COMPONENT_DOMAIN }}
{{- $base := dict
  "hosts" (list .Values.ejabberd.xmppDomain)
  "loglevel" "info"
  "listen" (list
    (dict "port" 5222 "ip" "::" "module" "ejabberd_c2s" "max_stanza_size" 262144)
    (dict "port" 5269 "ip" "::" "module" "ejabberd_s2s_in" "max_stanza_size" 524288)
    (dict "port" 5347 "ip" "::" "module" "ejabberd_service" "global_routes" false
      "hosts" (dict $component (dict "password" "@XMPP_COMPONENT_SECRET@"))))
  "auth_method" "internal"
  "s2s_use_starttls" "optional"
  "acl" (dict "local" (dict "user_regexp" ""))
  "access_rules" (dict "c2s" (dict "allow" "all") "local" (dict "allow" "local"))
  "modules" (dict "mod_disco" (dict) "mod_ping" (dict) "mod_roster" (dict) "mod_stream_mgmt" (dict))
}}
{{- if .Values.ejabberd.roomAffinity }}
{{- $_ := set $base "domain_balancing" (dict $component (dict "type" "bare_destination" "component_number" (int .Values.replicas))) }}
{{- end }}
{{- toYaml (mergeOverwrite $base .Values.ejabberd.config) }}
{{- end }}

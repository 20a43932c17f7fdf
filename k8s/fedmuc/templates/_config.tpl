{{/* The workers' configuration: .Values.config with the addresses of what the chart deploys
filled in, as YAML (a map of variable name to text; empty values left out). */}}
{{- define "fedmuc.config" -}}
{{- $config := dict }}
{{- range $name, $value := .Values.config }}
{{- $text := include "fedmuc.envText" $value }}
{{- if ne $text "" }}{{- $_ := set $config $name $text }}{{- end }}
{{- end }}
{{- if and .Values.ejabberd.enabled (not (hasKey $config "XMPP_COMPONENT_URL")) }}
{{- $_ := set $config "XMPP_COMPONENT_URL" (printf "xmpp://%s:5347" (include "fedmuc.part" (dict "root" . "part" "ejabberd"))) }}
{{- end }}
{{- if and .Values.redis.enabled (not (hasKey $config "REDIS_URL")) }}
{{- $_ := set $config "REDIS_URL" (printf "redis://%s:6379" (include "fedmuc.part" (dict "root" . "part" "redis"))) }}
{{- end }}
{{- if and .Values.tracing.endpoint (eq (default "none" (get $config "OTEL_TRACES_EXPORTER")) "none") }}
{{- $_ := set $config "OTEL_TRACES_EXPORTER" "otlp" }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* A resource attribute's key or value percent-encoded, as OTEL_RESOURCE_ATTRIBUTES wants
(and with no $ left for Kubernetes to expand). */}}
{{- define "fedmuc.percentEncode" -}}
{{- urlquery . | replace "+" "%20" }}
{{- end }}

{{/* The standard OTEL_* variables of tracing.*, as env entries (YAML), while traces are exported.
The pod's name, namespace and node come from the downward API into OTEL_RESOURCE_ATTRIBUTES
through Kubernetes' $(VAR) expansion, which needs them defined before it. */}}
{{- define "fedmuc.tracingEnv" -}}
{{- $t := .Values.tracing }}
{{- $config := include "fedmuc.config" . | fromYaml }}
{{- if ne (default "none" (get $config "OTEL_TRACES_EXPORTER")) "none" }}
{{- $env := list }}
{{- with $t.endpoint }}
{{- $env = append $env (dict "name" "OTEL_EXPORTER_OTLP_ENDPOINT" "value" .) }}
{{- end }}
{{- $env = append $env (dict "name" "OTEL_SERVICE_NAME" "value" (default (include "fedmuc.fullname" .) $t.serviceName)) }}
{{- $env = append $env (dict "name" "OTEL_TRACES_SAMPLER" "value" $t.sampler) }}
{{- if hasSuffix "traceidratio" $t.sampler }}
{{- $env = append $env (dict "name" "OTEL_TRACES_SAMPLER_ARG" "value" (include "fedmuc.envText" $t.samplerArg)) }}
{{- end }}
{{- $pairs := list }}
{{- range list (list "k8s.pod.name" "K8S_POD_NAME" "metadata.name") (list "k8s.namespace.name" "K8S_NAMESPACE_NAME" "metadata.namespace") (list "k8s.node.name" "K8S_NODE_NAME" "spec.nodeName") }}
{{- $env = append $env (dict "name" (index . 1) "valueFrom" (dict "fieldRef" (dict "fieldPath" (index . 2)))) }}
{{- $pairs = append $pairs (printf "%s=$(%s)" (index . 0) (index . 1)) }}
{{- end }}
{{- $attributes := merge (deepCopy (default dict $t.resourceAttributes)) (dict "service.version" .Chart.AppVersion) }}
{{- range $key, $value := $attributes }}
{{- $pairs = append $pairs (printf "%s=%s" (include "fedmuc.percentEncode" $key) (include "fedmuc.percentEncode" $value)) }}
{{- end }}
{{- $env = append $env (dict "name" "OTEL_RESOURCE_ATTRIBUTES" "value" (join "," $pairs)) }}
{{- toYaml $env }}
{{- end }}
{{- end }}

{{/* Combinations of values that cannot work, refused with a message naming them. The schema
checks each value on its own. */}}
{{- define "fedmuc.validate" -}}
{{- $config := include "fedmuc.config" . | fromYaml }}
{{- if not (hasKey $config "XMPP_COMPONENT_DOMAIN") }}
{{- fail "config.XMPP_COMPONENT_DOMAIN is required: the service's domain on the XMPP server, e.g. rooms.example.org" }}
{{- end }}
{{- if not (hasKey $config "XMPP_COMPONENT_URL") }}
{{- fail "config.XMPP_COMPONENT_URL is required (where your XMPP server accepts components, e.g. xmpp://xmpp.example.org:5347), or set ejabberd.enabled=true to deploy ejabberd in front" }}
{{- end }}
{{- if not (or (hasKey $config "REDIS_URL") (hasKey $config "REDIS_SENTINELS") (hasKey $config "REDIS_CLUSTER_NODES")) }}
{{- fail "Redis is required: set config.REDIS_URL (or config.REDIS_SENTINELS, or config.REDIS_CLUSTER_NODES) to an external Redis, or redis.enabled=true for one in the chart" }}
{{- end }}
{{- if and .Values.redis.enabled (or (hasKey $config "REDIS_SENTINELS") (hasKey $config "REDIS_CLUSTER_NODES")) }}
{{- fail "redis.enabled deploys a single Redis: it cannot be combined with config.REDIS_SENTINELS or config.REDIS_CLUSTER_NODES" }}
{{- end }}
{{- if and (hasKey $config "REDIS_SENTINELS") (hasKey $config "REDIS_CLUSTER_NODES") }}
{{- fail "config.REDIS_SENTINELS and config.REDIS_CLUSTER_NODES are both set: Redis is either a cluster or found through sentinels, set one" }}
{{- end }}
{{- if and (hasKey $config "REDIS_SENTINELS") (not (hasKey $config "REDIS_SENTINEL_NAME")) }}
{{- fail "config.REDIS_SENTINEL_NAME is required with config.REDIS_SENTINELS: the name the sentinels monitor the master by" }}
{{- end }}
{{- if and (not .Values.existingSecret) (not .Values.secrets.XMPP_COMPONENT_SECRET) }}
{{- fail "secrets.XMPP_COMPONENT_SECRET is required (the component secret shared with the XMPP server), or existingSecret naming a Secret that holds it" }}
{{- end }}
{{- if and .Values.ejabberd.enabled (not .Values.ejabberd.xmppDomain) }}
{{- fail "ejabberd.xmppDomain is required with ejabberd.enabled: the XMPP domain of your users, e.g. example.org" }}
{{- end }}
{{- if and .Values.ejabberd.roomAffinity .Values.autoscaling.enabled }}
{{- fail "ejabberd.roomAffinity ties ejabberd's component_number to replicas, so the worker count cannot change: it cannot be combined with autoscaling.enabled" }}
{{- end }}
{{- if and .Values.ejabberd.roomAffinity (not .Values.ejabberd.enabled) }}
{{- fail "ejabberd.roomAffinity configures the chart's ejabberd (ejabberd.enabled=true); for your own server, set its domain_balancing yourself" }}
{{- end }}
{{- if and .Values.tracing.endpoint (eq .Values.config.OTEL_TRACES_EXPORTER "console") }}
{{- fail "tracing.endpoint is set but config.OTEL_TRACES_EXPORTER is console, which writes the spans to stdout: set it to otlp (or none, which the endpoint turns to otlp), or leave tracing.endpoint empty" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- end }}

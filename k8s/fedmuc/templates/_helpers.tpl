{{/* Names and labels. */}}
{{- define "fedmuc.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fedmuc.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "fedmuc.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "fedmuc.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* A part's name: the full name and a suffix, within 63 characters. */}}
{{- define "fedmuc.part" -}}
{{- $full := include "fedmuc.fullname" .root | trunc (int (sub 62 (len .part))) | trimSuffix "-" }}
{{- printf "%s-%s" $full .part }}
{{- end }}

{{- define "fedmuc.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{ include "fedmuc.selectorLabels" . }}
{{- end }}

{{- define "fedmuc.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fedmuc.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of one component (worker, ejabberd, redis). */}}
{{- define "fedmuc.componentSelector" -}}
{{ include "fedmuc.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "fedmuc.componentLabels" -}}
{{ include "fedmuc.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "fedmuc.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "fedmuc.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "fedmuc.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "fedmuc.secretName" -}}
{{- default (include "fedmuc.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* A value as an environment variable's text: whole numbers without an exponent. */}}
{{- define "fedmuc.envText" -}}
{{- if or (kindIs "float64" .) (kindIs "int64" .) (kindIs "int" .) }}
{{- int64 . | toString }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/* The worker's HTTP port (probes, metrics). */}}
{{- define "fedmuc.httpPort" -}}
{{- int64 .Values.config.HTTP_PORT }}
{{- end }}

{{/* terminationGracePeriodSeconds: the drain (SHUTDOWN_TIMEOUT_MS) rounded up, plus a margin. */}}
{{- define "fedmuc.terminationGrace" -}}
{{- $ms := int64 .Values.config.SHUTDOWN_TIMEOUT_MS }}
{{- add (div (add $ms 999) 1000) (int64 .Values.terminationGraceMarginSeconds) }}
{{- end }}

{{/* Pod Security Standards, "restricted": not root, no privilege escalation, no capabilities,
the runtime's default seccomp profile. */}}
{{- define "fedmuc.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "fedmuc.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .readOnlyRoot }}
capabilities:
  drop: [ALL]
{{- end }}

{{/* The port of a URL (xmpp://host:port, redis://host:port), or .default. */}}
{{- define "fedmuc.urlPort" -}}
{{- $host := (urlParse .url).host }}
{{- if regexMatch ":[0-9]+$" $host }}{{ regexFind "[0-9]+$" $host }}{{ else }}{{ .default }}{{ end }}
{{- end }}

{{/* The TCP ports the workers reach Redis on (a YAML list): REDIS_URL's, or the sentinels' and
the master's (6379 unless extraEgress says more), or the cluster nodes'. */}}
{{- define "fedmuc.redisPorts" -}}
{{- $ports := list }}
{{- $nodes := default .REDIS_CLUSTER_NODES .REDIS_SENTINELS }}
{{- if $nodes }}
{{- range splitList "," $nodes }}{{ $ports = append $ports (int (regexFind "[0-9]+$" (trim .))) }}{{ end }}
{{- if .REDIS_SENTINELS }}{{ $ports = append $ports 6379 }}{{ end }}
{{- else }}
{{- $ports = append $ports (int (include "fedmuc.urlPort" (dict "url" .REDIS_URL "default" 6379))) }}
{{- end }}
{{- toYaml (uniq $ports) }}
{{- end }}

{{- define "mcp-gateway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "mcp-gateway.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mcp-gateway.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "mcp-gateway.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "mcp-gateway.sessionSecretName" -}}
{{ .Values.sessionSecret.existingSecret | default (printf "%s-session" (include "mcp-gateway.fullname" .)) }}
{{- end -}}

{{- define "mcp-gateway.redisUrl" -}}
{{- if .Values.redis.enabled -}}redis://{{ include "mcp-gateway.fullname" . }}-redis:6379{{- else -}}{{ .Values.externalRedisUrl }}{{- end -}}
{{- end -}}

{{/* The gateway config: the base config with the in-cluster listen addresses and store set. */}}
{{- define "mcp-gateway.baseConfig" -}}
{{- $config := deepCopy .Values.config -}}
{{- $_ := set $config "router" (dict "listen" (printf "0.0.0.0:%v" .Values.ports.router) "metricsListen" (printf "0.0.0.0:%v" .Values.ports.metrics)) -}}
{{- $_ := set $config "broker" (dict "listen" (printf "0.0.0.0:%v" .Values.ports.broker)) -}}
{{- $sessions := deepCopy (default dict $config.sessions) -}}
{{- $url := include "mcp-gateway.redisUrl" . -}}
{{- if $url }}{{ $_ := set $sessions "store" $url }}{{ end -}}
{{- $_ := set $config "sessions" $sessions -}}
{{- $_ := set $config "servers" (.Values.servers | default list) -}}
{{- toYaml $config -}}
{{- end -}}

{{- define "mcp-gateway.checks" -}}
{{- if and (eq .Values.mode "split") (not (include "mcp-gateway.redisUrl" .)) -}}
{{- fail "mode: split needs the shared Redis store: set redis.enabled or externalRedisUrl" -}}
{{- end -}}
{{- if not (has .Values.mode (list "combined" "split")) -}}
{{- fail "mode must be combined or split" -}}
{{- end -}}
{{- end -}}

{{/* A gateway container: command (envoy | router | broker), probes for its roles. */}}
{{- define "mcp-gateway.gatewayPod" -}}
{{- $root := .root -}}
serviceAccountName: {{ include "mcp-gateway.fullname" $root }}-gateway
automountServiceAccountToken: false
securityContext: {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
containers:
  - name: {{ .command }}
    image: {{ include "mcp-gateway.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: [{{ .command | quote }}, "--config", "/etc/mcp-gateway/config.yaml"]
    env:
      - name: MCP_GATEWAY_SESSION_SECRET
        valueFrom:
          secretKeyRef: { name: {{ include "mcp-gateway.sessionSecretName" $root }}, key: {{ $root.Values.sessionSecret.key }} }
    ports:
      {{- if ne .command "broker" }}
      - { name: grpc, containerPort: {{ $root.Values.ports.router }} }
      {{- end }}
      {{- if ne .command "router" }}
      - { name: http, containerPort: {{ $root.Values.ports.broker }} }
      {{- end }}
      {{- if eq .command "router" }}
      - { name: metrics, containerPort: {{ $root.Values.ports.metrics }} }
      {{- end }}
      {{- if $root.Values.config.admin }}
      - { name: admin, containerPort: {{ $root.Values.ports.admin }} }
      {{- end }}
    {{- if eq .command "router" }}
    livenessProbe: { httpGet: { path: /healthz, port: metrics }, periodSeconds: 10 }
    readinessProbe: { grpc: { port: {{ $root.Values.ports.router }} }, periodSeconds: 5 }
    {{- else }}
    livenessProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 10 }
    readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 5 }
    {{- end }}
    {{- if eq .command "envoy" }}
    startupProbe: { grpc: { port: {{ $root.Values.ports.router }} }, periodSeconds: 2, failureThreshold: 30 }
    {{- end }}
    resources: {{- toYaml $root.Values.resources | nindent 6 }}
    securityContext: {{- toYaml $root.Values.securityContext | nindent 6 }}
    volumeMounts:
      - { name: config, mountPath: /etc/mcp-gateway, readOnly: true }
      - { name: tmp, mountPath: /tmp }
volumes:
  # The config file the gateway hot-reloads: the controller's rendered Secret, or the chart's own.
  - name: config
    secret: { secretName: {{ include "mcp-gateway.fullname" $root }}-config }
  - name: tmp
    emptyDir: {}
{{- end -}}

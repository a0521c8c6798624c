"""Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``).

client-go's typed clients send request bodies as kube protobuf: ``kubectl create
configmap|secret|namespace|serviceaccount|deployment|service|job|...``, ``kubectl
create token``, ``kubectl auth can-i|whoami`` and leader election on Leases all do,
while accepting JSON answers.  :func:`decode` turns such a body into the dict that
kube's JSON encoding of the same Go object gives, so everything after it is the JSON
path.  Responses stay JSON; nothing here encodes protobuf.

The body is the 4-byte magic ``k8s\\x00`` and a ``runtime.Unknown`` (1 ``typeMeta``
{1 apiVersion, 2 kind}, 2 ``raw``, 3 ``contentEncoding``, 4 ``contentType``) whose
``raw`` is the gogo-protobuf (proto2) encoding of the Go struct named by the type meta.
Decoding follows gogo's generated ``Unmarshal`` and then Go's ``encoding/json``:

* unknown field numbers are skipped; a known field with the wrong wire type, a
  truncated value, an over-long varint, an illegal tag or wire type is a 400;
* a repeated field appends, a map entry overwrites its key, a scalar field's last
  occurrence wins and a message field that occurs twice is merged (its occurrences
  are decoded as one concatenated message); ``Time`` and ``MicroTime`` keep the last;
* a field on the wire is written unless its JSON tag says ``omitempty`` and it is a
  zero scalar or an empty list/map (pointer fields, ``optional`` in Go, are written
  even when zero; structs are never dropped); ``omitzero`` drops a zero ``Time``;
* a field absent from the wire is what Go's JSON gives for its zero value: left out
  under ``omitempty``, else ``null`` for pointers, lists and maps, ``0``/``""``/
  ``false`` for scalars and the zero object for structs (gogo's encoder always writes
  non-pointer fields, so this only matters for other encoders);
* ``[]byte`` is base64; ``metav1.Time`` is RFC 3339 in seconds (``null`` when zero),
  ``MicroTime`` has six fractional digits; ``Duration`` is Go's ``time.Duration``
  string; ``Quantity`` is its string (checked against the quantity grammar);
  ``IntOrString`` is a number or a string; ``FieldsV1``, ``RawExtension`` and
  apiextensions ``JSON`` embed the JSON they carry; ``JSONSchemaPropsOr{Array,Bool,
  StringArray}`` and the ``[]string`` wrappers (``ExtraValue``) take their short forms;
* strings are UTF-8 with each invalid byte replaced by U+FFFD, as Go's encoder does;
  a double that is a whole number becomes an ``int`` (Go writes ``1`` for ``1.0``, so
  the JSON path would parse an ``int``); NaN and infinities are a 400.

Every failure is a :class:`~setpoint.apiserver.encoding.errors.StatusError`: a 400 for bytes
that do not decode, a 415 for a kind that has no table here.
"""

from __future__ import annotations

import base64
import codecs
import math
import re
import struct
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

import orjson

from setpoint.apiserver.encoding import errors

PROTOBUF: Final = "application/vnd.kubernetes.protobuf"

#: The prefix of every kube protobuf body.
MAGIC: Final = b"k8s\x00"

#: The media types a 415 for an undecodable kind lists (the JSON path's).
ACCEPTED: Final = ["application/json", "application/yaml"]

# ---------------------------------------------------------------------------
# Message tables
#
# One entry per proto message: space-separated fields ``number:jsonName:type[:flags]``.
# ``type`` is a scalar (``string bytes int32 int64 bool double``), a builtin with a
# hand-written JSON form (``time microtime duration quantity intorstr fieldsv1 rawext
# json``) or ``@package.Message``; ``[T]`` is a repeated field and ``{T}`` a
# ``map<string, T>``.  Flags: ``o`` omitempty, ``z`` omitzero, ``p`` a Go pointer,
# ``i`` an embedded struct whose fields are inlined (``json:""``).  Field order is the
# Go struct's, so dicts come out in kube's JSON order.
#
# Generated from the generated.proto files and the Go structs' json/protobuf tags of
# kubernetes/api @10b39a39 (master after v0.37.0-beta.0; field numbers are never
# reused, so this is a superset of 1.37), kubernetes/apimachinery @eed236ce and
# kubernetes/apiextensions-apiserver @1aa2717a: every message reachable from the kinds
# in _KINDS, DeleteOptions and Status, except the builtins above.  The three
# apiextensions ``JSONSchemaPropsOr*`` messages (no JSON tags in Go) and the
# ``[]string`` wrappers are described by hand and finished by _POST.
# ---------------------------------------------------------------------------

_MESSAGES: Final[dict[str, str]] = {
    "apiext.CustomResourceColumnDefinition": (
        "1:name:string 2:type:string 3:format:string:o 4:description:string:o 5:priority:int32:o"
        " 6:jsonPath:string"
    ),
    "apiext.CustomResourceConversion": "1:strategy:string 2:webhook:@apiext.WebhookConversion:op",
    "apiext.CustomResourceDefinition": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apiext.CustomResourceDefinitionSpec"
        " 3:status:@apiext.CustomResourceDefinitionStatus:o"
    ),
    "apiext.CustomResourceDefinitionCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
        " 6:observedGeneration:int64:o"
    ),
    "apiext.CustomResourceDefinitionNames": (
        "1:plural:string 2:singular:string:o 3:shortNames:[string]:o 4:kind:string 5:listKind:string:o"
        " 6:categories:[string]:o"
    ),
    "apiext.CustomResourceDefinitionSpec": (
        "1:group:string 3:names:@apiext.CustomResourceDefinitionNames 4:scope:string"
        " 7:versions:[@apiext.CustomResourceDefinitionVersion]"
        " 9:conversion:@apiext.CustomResourceConversion:op 10:preserveUnknownFields:bool:o"
    ),
    "apiext.CustomResourceDefinitionStatus": (
        "1:conditions:[@apiext.CustomResourceDefinitionCondition]"
        " 2:acceptedNames:@apiext.CustomResourceDefinitionNames 3:storedVersions:[string]"
        " 4:observedGeneration:int64:o"
    ),
    "apiext.CustomResourceDefinitionVersion": (
        "1:name:string 2:served:bool 3:storage:bool 7:deprecated:bool:o 8:deprecationWarning:string:op"
        " 4:schema:@apiext.CustomResourceValidation:op 5:subresources:@apiext.CustomResourceSubresources:op"
        " 6:additionalPrinterColumns:[@apiext.CustomResourceColumnDefinition]:o"
        " 9:selectableFields:[@apiext.SelectableField]:o"
    ),
    "apiext.CustomResourceSubresourceScale": (
        "1:specReplicasPath:string 2:statusReplicasPath:string 3:labelSelectorPath:string:op"
    ),
    "apiext.CustomResourceSubresourceStatus": "",
    "apiext.CustomResourceSubresources": (
        "1:status:@apiext.CustomResourceSubresourceStatus:op"
        " 2:scale:@apiext.CustomResourceSubresourceScale:op"
    ),
    "apiext.CustomResourceValidation": "1:openAPIV3Schema:@apiext.JSONSchemaProps:op",
    "apiext.ExternalDocumentation": "1:description:string:o 2:url:string:o",
    "apiext.JSONSchemaProps": (
        "1:id:string:o 2:$schema:string:o 3:$ref:string:op 4:description:string:o 5:type:string:o"
        " 6:format:string:o 7:title:string:o 8:default:json:op 9:maximum:double:op"
        " 10:exclusiveMaximum:bool:o 11:minimum:double:op 12:exclusiveMinimum:bool:o 13:maxLength:int64:op"
        " 14:minLength:int64:op 15:pattern:string:o 16:maxItems:int64:op 17:minItems:int64:op"
        " 18:uniqueItems:bool:o 19:multipleOf:double:op 20:enum:[json]:o 21:maxProperties:int64:op"
        " 22:minProperties:int64:op 23:required:[string]:o 24:items:@apiext.JSONSchemaPropsOrArray:op"
        " 25:allOf:[@apiext.JSONSchemaProps]:o 26:oneOf:[@apiext.JSONSchemaProps]:o"
        " 27:anyOf:[@apiext.JSONSchemaProps]:o 28:not:@apiext.JSONSchemaProps:op"
        " 29:properties:{@apiext.JSONSchemaProps}:o"
        " 30:additionalProperties:@apiext.JSONSchemaPropsOrBool:op"
        " 31:patternProperties:{@apiext.JSONSchemaProps}:o"
        " 32:dependencies:{@apiext.JSONSchemaPropsOrStringArray}:o"
        " 33:additionalItems:@apiext.JSONSchemaPropsOrBool:op 34:definitions:{@apiext.JSONSchemaProps}:o"
        " 35:externalDocs:@apiext.ExternalDocumentation:op 36:example:json:op 37:nullable:bool:o"
        " 38:x-kubernetes-preserve-unknown-fields:bool:op 39:x-kubernetes-embedded-resource:bool:o"
        " 40:x-kubernetes-int-or-string:bool:o 41:x-kubernetes-list-map-keys:[string]:o"
        " 42:x-kubernetes-list-type:string:op 43:x-kubernetes-map-type:string:op"
        " 44:x-kubernetes-validations:[@apiext.ValidationRule]:o"
    ),
    "apiext.JSONSchemaPropsOrArray": (
        "1:schema:@apiext.JSONSchemaProps:op 2:schemas:[@apiext.JSONSchemaProps]:o"
    ),
    "apiext.JSONSchemaPropsOrBool": "1:allows:bool 2:schema:@apiext.JSONSchemaProps:op",
    "apiext.JSONSchemaPropsOrStringArray": "1:schema:@apiext.JSONSchemaProps:op 2:property:[string]:o",
    "apiext.SelectableField": "1:jsonPath:string",
    "apiext.ServiceReference": "1:namespace:string 2:name:string 3:path:string:op 4:port:int32:op",
    "apiext.ValidationRule": (
        "1:rule:string 2:message:string:o 3:messageExpression:string:o 4:reason:string:op"
        " 5:fieldPath:string:o 6:optionalOldSelf:bool:op"
    ),
    "apiext.WebhookClientConfig": "3:url:string:op 1:service:@apiext.ServiceReference:op 2:caBundle:bytes:o",
    "apiext.WebhookConversion": (
        "2:clientConfig:@apiext.WebhookClientConfig:op 3:conversionReviewVersions:[string]"
    ),
    "apps.ControllerRevision": "1:metadata:@meta.ObjectMeta:o 2:data:rawext 3:revision:int64",
    "apps.DaemonSet": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.DaemonSetSpec:o 3:status:@apps.DaemonSetStatus:o"
    ),
    "apps.DaemonSetCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "apps.DaemonSetSpec": (
        "1:selector:@meta.LabelSelector:p 2:template:@core.PodTemplateSpec"
        " 3:updateStrategy:@apps.DaemonSetUpdateStrategy:o 4:minReadySeconds:int32:o"
        " 6:revisionHistoryLimit:int32:op"
    ),
    "apps.DaemonSetStatus": (
        "1:currentNumberScheduled:int32 2:numberMisscheduled:int32 3:desiredNumberScheduled:int32"
        " 4:numberReady:int32 5:observedGeneration:int64:o 6:updatedNumberScheduled:int32:o"
        " 7:numberAvailable:int32:o 8:numberUnavailable:int32:o 9:collisionCount:int32:op"
        " 10:conditions:[@apps.DaemonSetCondition]:o"
    ),
    "apps.DaemonSetUpdateStrategy": "1:type:string:o 2:rollingUpdate:@apps.RollingUpdateDaemonSet:op",
    "apps.Deployment": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.DeploymentSpec:o 3:status:@apps.DeploymentStatus:o"
    ),
    "apps.DeploymentCondition": (
        "1:type:string 2:status:string 6:lastUpdateTime:time:o 7:lastTransitionTime:time:o"
        " 4:reason:string:o 5:message:string:o"
    ),
    "apps.DeploymentSpec": (
        "1:replicas:int32:op 2:selector:@meta.LabelSelector:p 3:template:@core.PodTemplateSpec"
        " 4:strategy:@apps.DeploymentStrategy:o 5:minReadySeconds:int32:o 6:revisionHistoryLimit:int32:op"
        " 7:paused:bool:o 9:progressDeadlineSeconds:int32:op"
    ),
    "apps.DeploymentStatus": (
        "1:observedGeneration:int64:o 2:replicas:int32:o 3:updatedReplicas:int32:o 7:readyReplicas:int32:o"
        " 4:availableReplicas:int32:o 5:unavailableReplicas:int32:o 9:terminatingReplicas:int32:op"
        " 6:conditions:[@apps.DeploymentCondition]:o 8:collisionCount:int32:op"
    ),
    "apps.DeploymentStrategy": "1:type:string:o 2:rollingUpdate:@apps.RollingUpdateDeployment:op",
    "apps.ReplicaSet": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.ReplicaSetSpec:o 3:status:@apps.ReplicaSetStatus:o"
    ),
    "apps.ReplicaSetCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "apps.ReplicaSetSpec": (
        "1:replicas:int32:op 4:minReadySeconds:int32:o 2:selector:@meta.LabelSelector:p"
        " 3:template:@core.PodTemplateSpec:o"
    ),
    "apps.ReplicaSetStatus": (
        "1:replicas:int32 2:fullyLabeledReplicas:int32:o 4:readyReplicas:int32:o"
        " 5:availableReplicas:int32:o 7:terminatingReplicas:int32:op 3:observedGeneration:int64:o"
        " 6:conditions:[@apps.ReplicaSetCondition]:o"
    ),
    "apps.RollingUpdateDaemonSet": "1:maxUnavailable:intorstr:op 2:maxSurge:intorstr:op",
    "apps.RollingUpdateDeployment": "1:maxUnavailable:intorstr:op 2:maxSurge:intorstr:op",
    "apps.RollingUpdateStatefulSetStrategy": "1:partition:int32:op 2:maxUnavailable:intorstr:op",
    "apps.StatefulSet": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@apps.StatefulSetSpec:o 3:status:@apps.StatefulSetStatus:o"
    ),
    "apps.StatefulSetCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "apps.StatefulSetOrdinals": "1:start:int32",
    "apps.StatefulSetPersistentVolumeClaimRetentionPolicy": "1:whenDeleted:string:o 2:whenScaled:string:o",
    "apps.StatefulSetSpec": (
        "1:replicas:int32:op 2:selector:@meta.LabelSelector:p 3:template:@core.PodTemplateSpec"
        " 4:volumeClaimTemplates:[@core.PersistentVolumeClaim]:o 5:serviceName:string"
        " 6:podManagementPolicy:string:o 7:updateStrategy:@apps.StatefulSetUpdateStrategy:o"
        " 8:revisionHistoryLimit:int32:op 9:minReadySeconds:int32:o"
        " 10:persistentVolumeClaimRetentionPolicy:@apps.StatefulSetPersistentVolumeClaimRetentionPolicy:op"
        " 11:ordinals:@apps.StatefulSetOrdinals:op"
    ),
    "apps.StatefulSetStatus": (
        "1:observedGeneration:int64:o 2:replicas:int32 3:readyReplicas:int32:o 4:currentReplicas:int32:o"
        " 5:updatedReplicas:int32:o 6:currentRevision:string:o 7:updateRevision:string:o"
        " 9:collisionCount:int32:op 10:conditions:[@apps.StatefulSetCondition]:o 11:availableReplicas:int32"
    ),
    "apps.StatefulSetUpdateStrategy": (
        "1:type:string:o 2:rollingUpdate:@apps.RollingUpdateStatefulSetStrategy:op"
    ),
    "authentication.AttestationValue": "1:items:[string]:o",
    "authentication.BoundObjectReference": (
        "1:kind:string:o 2:apiVersion:string:o 3:name:string:o 4:uid:string:o"
    ),
    "authentication.ExtraValue": "1:items:[string]:o",
    "authentication.SelfSubjectReview": (
        "1:metadata:@meta.ObjectMeta:o 2:status:@authentication.SelfSubjectReviewStatus:o"
    ),
    "authentication.SelfSubjectReviewStatus": "1:userInfo:@authentication.UserInfo:o",
    "authentication.TokenRequest": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authentication.TokenRequestSpec"
        " 3:status:@authentication.TokenRequestStatus:o"
    ),
    "authentication.TokenRequestSpec": (
        "1:audiences:[string] 4:expirationSeconds:int64:p"
        " 3:boundObjectRef:@authentication.BoundObjectReference:p"
        " 5:attestations:{@authentication.AttestationValue}:o"
    ),
    "authentication.TokenRequestStatus": "1:token:string 2:expirationTimestamp:time",
    "authentication.TokenReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authentication.TokenReviewSpec"
        " 3:status:@authentication.TokenReviewStatus:o"
    ),
    "authentication.TokenReviewSpec": "1:token:string:o 2:audiences:[string]:o",
    "authentication.TokenReviewStatus": (
        "1:authenticated:bool:o 2:user:@authentication.UserInfo:o 4:audiences:[string]:o 3:error:string:o"
    ),
    "authentication.UserInfo": (
        "1:username:string:o 2:uid:string:o 3:groups:[string]:o 4:extra:{@authentication.ExtraValue}:o"
    ),
    "authorization.ExtraValue": "1:items:[string]:o",
    "authorization.FieldSelectorAttributes": (
        "1:rawSelector:string:o 2:requirements:[@meta.FieldSelectorRequirement]:o"
    ),
    "authorization.LabelSelectorAttributes": (
        "1:rawSelector:string:o 2:requirements:[@meta.LabelSelectorRequirement]:o"
    ),
    "authorization.LocalSubjectAccessReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SubjectAccessReviewSpec"
        " 3:status:@authorization.SubjectAccessReviewStatus:o"
    ),
    "authorization.NonResourceAttributes": "1:path:string:o 2:verb:string:o",
    "authorization.NonResourceRule": "1:verbs:[string] 2:nonResourceURLs:[string]:o",
    "authorization.ResourceAttributes": (
        "1:namespace:string:o 2:verb:string:o 3:group:string:o 4:version:string:o 5:resource:string:o"
        " 6:subresource:string:o 7:name:string:o 8:fieldSelector:@authorization.FieldSelectorAttributes:op"
        " 9:labelSelector:@authorization.LabelSelectorAttributes:op"
    ),
    "authorization.ResourceRule": (
        "1:verbs:[string] 2:apiGroups:[string]:o 3:resources:[string]:o 4:resourceNames:[string]:o"
    ),
    "authorization.SelfSubjectAccessReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SelfSubjectAccessReviewSpec"
        " 3:status:@authorization.SubjectAccessReviewStatus:o"
    ),
    "authorization.SelfSubjectAccessReviewSpec": (
        "1:resourceAttributes:@authorization.ResourceAttributes:op"
        " 2:nonResourceAttributes:@authorization.NonResourceAttributes:op"
    ),
    "authorization.SelfSubjectRulesReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SelfSubjectRulesReviewSpec"
        " 3:status:@authorization.SubjectRulesReviewStatus:o"
    ),
    "authorization.SelfSubjectRulesReviewSpec": "1:namespace:string:o",
    "authorization.SubjectAccessReview": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@authorization.SubjectAccessReviewSpec"
        " 3:status:@authorization.SubjectAccessReviewStatus:o"
    ),
    "authorization.SubjectAccessReviewSpec": (
        "1:resourceAttributes:@authorization.ResourceAttributes:op"
        " 2:nonResourceAttributes:@authorization.NonResourceAttributes:op 3:user:string:o"
        " 4:groups:[string]:o 5:extra:{@authorization.ExtraValue}:o 6:uid:string:o"
    ),
    "authorization.SubjectAccessReviewStatus": (
        "1:allowed:bool 4:denied:bool:o 2:reason:string:o 3:evaluationError:string:o"
    ),
    "authorization.SubjectRulesReviewStatus": (
        "1:resourceRules:[@authorization.ResourceRule] 2:nonResourceRules:[@authorization.NonResourceRule]"
        " 3:incomplete:bool 4:evaluationError:string:o"
    ),
    "autoscaling.CrossVersionObjectReference": "1:kind:string 2:name:string 3:apiVersion:string:o",
    "autoscaling.HorizontalPodAutoscaler": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@autoscaling.HorizontalPodAutoscalerSpec:o"
        " 3:status:@autoscaling.HorizontalPodAutoscalerStatus:o"
    ),
    "autoscaling.HorizontalPodAutoscalerSpec": (
        "1:scaleTargetRef:@autoscaling.CrossVersionObjectReference 2:minReplicas:int32:op"
        " 3:maxReplicas:int32 4:targetCPUUtilizationPercentage:int32:op"
    ),
    "autoscaling.HorizontalPodAutoscalerStatus": (
        "1:observedGeneration:int64:op 2:lastScaleTime:time:op 3:currentReplicas:int32"
        " 4:desiredReplicas:int32 5:currentCPUUtilizationPercentage:int32:op"
    ),
    "autoscaling.Scale": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@autoscaling.ScaleSpec:o 3:status:@autoscaling.ScaleStatus:o"
    ),
    "autoscaling.ScaleSpec": "1:replicas:int32:o",
    "autoscaling.ScaleStatus": "1:replicas:int32 2:selector:string:o",
    "batch.CronJob": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@batch.CronJobSpec:o 3:status:@batch.CronJobStatus:o"
    ),
    "batch.CronJobSpec": (
        "1:schedule:string 8:timeZone:string:op 2:startingDeadlineSeconds:int64:op"
        " 3:concurrencyPolicy:string:o 4:suspend:bool:op 5:jobTemplate:@batch.JobTemplateSpec"
        " 6:successfulJobsHistoryLimit:int32:op 7:failedJobsHistoryLimit:int32:op"
    ),
    "batch.CronJobStatus": (
        "1:active:[@core.ObjectReference]:o 4:lastScheduleTime:time:op 5:lastSuccessfulTime:time:op"
    ),
    "batch.Job": "1:metadata:@meta.ObjectMeta:o 2:spec:@batch.JobSpec:o 3:status:@batch.JobStatus:o",
    "batch.JobCondition": (
        "1:type:string 2:status:string 3:lastProbeTime:time:o 4:lastTransitionTime:time:o 5:reason:string:o"
        " 6:message:string:o"
    ),
    "batch.JobSchedulingConfiguration": (
        "1:schedulingPolicy:@schedv1alpha3.WorkloadPodGroupSchedulingPolicy:op"
        " 2:schedulingConstraints:@schedv1alpha3.WorkloadPodGroupSchedulingConstraints:op"
        " 3:disruptionMode:@schedv1alpha3.WorkloadPodGroupDisruptionMode:op"
        " 4:resourceClaims:[@schedv1alpha3.WorkloadPodGroupResourceClaim]:o"
    ),
    "batch.JobSpec": (
        "1:parallelism:int32:op 2:completions:int32:op 3:activeDeadlineSeconds:int64:op"
        " 11:podFailurePolicy:@batch.PodFailurePolicy:op 16:successPolicy:@batch.SuccessPolicy:op"
        " 7:backoffLimit:int32:op 12:backoffLimitPerIndex:int32:op 13:maxFailedIndexes:int32:op"
        " 4:selector:@meta.LabelSelector:op 5:manualSelector:bool:op 6:template:@core.PodTemplateSpec"
        " 8:ttlSecondsAfterFinished:int32:op 9:completionMode:string:op 10:suspend:bool:op"
        " 14:podReplacementPolicy:string:op 15:managedBy:string:op"
        " 17:scheduling:@batch.JobSchedulingConfiguration:op"
    ),
    "batch.JobStatus": (
        "1:conditions:[@batch.JobCondition]:o 2:startTime:time:op 3:completionTime:time:op 4:active:int32:o"
        " 5:succeeded:int32:o 6:failed:int32:o 11:terminating:int32:op 7:completedIndexes:string:o"
        " 10:failedIndexes:string:op 8:uncountedTerminatedPods:@batch.UncountedTerminatedPods:op"
        " 9:ready:int32:op"
    ),
    "batch.JobTemplateSpec": "1:metadata:@meta.ObjectMeta:o 2:spec:@batch.JobSpec:o",
    "batch.PodFailurePolicy": "1:rules:[@batch.PodFailurePolicyRule]",
    "batch.PodFailurePolicyOnExitCodesRequirement": (
        "1:containerName:string:op 2:operator:string 3:values:[int32]"
    ),
    "batch.PodFailurePolicyOnPodConditionsPattern": "1:type:string 2:status:string",
    "batch.PodFailurePolicyRule": (
        "1:action:string 2:onExitCodes:@batch.PodFailurePolicyOnExitCodesRequirement:op"
        " 3:onPodConditions:[@batch.PodFailurePolicyOnPodConditionsPattern]:o"
    ),
    "batch.SuccessPolicy": "1:rules:[@batch.SuccessPolicyRule]",
    "batch.SuccessPolicyRule": "1:succeededIndexes:string:op 2:succeededCount:int32:op",
    "batch.UncountedTerminatedPods": "1:succeeded:[string]:o 2:failed:[string]:o",
    "certificates.CertificateSigningRequest": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@certificates.CertificateSigningRequestSpec"
        " 3:status:@certificates.CertificateSigningRequestStatus:o"
    ),
    "certificates.CertificateSigningRequestCondition": (
        "1:type:string 6:status:string 2:reason:string:o 3:message:string:o 4:lastUpdateTime:time:o"
        " 5:lastTransitionTime:time:o"
    ),
    "certificates.CertificateSigningRequestSpec": (
        "1:request:bytes 7:signerName:string 8:expirationSeconds:int32:op 5:usages:[string]:o"
        " 2:username:string:o 3:uid:string:o 4:groups:[string]:o 6:extra:{@certificates.ExtraValue}:o"
    ),
    "certificates.CertificateSigningRequestStatus": (
        "1:conditions:[@certificates.CertificateSigningRequestCondition]:o 2:certificate:bytes:o"
    ),
    "certificates.ClusterTrustBundle": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@certificates.ClusterTrustBundleSpec"
    ),
    "certificates.ClusterTrustBundleSpec": "1:signerName:string:o 2:trustBundle:string",
    "certificates.ExtraValue": "1:items:[string]:o",
    "certificates.PodCertificateRequest": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@certificates.PodCertificateRequestSpec"
        " 3:status:@certificates.PodCertificateRequestStatus:o"
    ),
    "certificates.PodCertificateRequestSpec": (
        "1:signerName:string 2:podName:string 3:podUID:string 4:serviceAccountName:string"
        " 5:serviceAccountUID:string 6:nodeName:string 7:nodeUID:string 8:maxExpirationSeconds:int32:op"
        " 12:stubPKCS10Request:bytes 11:unverifiedUserAnnotations:{string}:o"
    ),
    "certificates.PodCertificateRequestStatus": (
        "1:conditions:[@meta.Condition]:o 2:certificateChain:string:o 4:notBefore:time:op"
        " 5:beginRefreshAt:time:op 6:notAfter:time:op"
    ),
    "coordination.Lease": "1:metadata:@meta.ObjectMeta:o 2:spec:@coordination.LeaseSpec:o",
    "coordination.LeaseSpec": (
        "1:holderIdentity:string:op 2:leaseDurationSeconds:int32:op 3:acquireTime:microtime:op"
        " 4:renewTime:microtime:op 5:leaseTransitions:int32:op 6:strategy:string:op"
        " 7:preferredHolder:string:op"
    ),
    "core.AWSElasticBlockStoreVolumeSource": (
        "1:volumeID:string 2:fsType:string:o 3:partition:int32:o 4:readOnly:bool:o"
    ),
    "core.Affinity": (
        "1:nodeAffinity:@core.NodeAffinity:op 2:podAffinity:@core.PodAffinity:op"
        " 3:podAntiAffinity:@core.PodAntiAffinity:op"
    ),
    "core.AppArmorProfile": "1:type:string 2:localhostProfile:string:op",
    "core.AttachedVolume": "1:name:string 2:devicePath:string",
    "core.AzureDiskVolumeSource": (
        "1:diskName:string 2:diskURI:string 3:cachingMode:string:op 4:fsType:string:op 5:readOnly:bool:op"
        " 6:kind:string:op"
    ),
    "core.AzureFilePersistentVolumeSource": (
        "1:secretName:string 2:shareName:string 3:readOnly:bool:o 4:secretNamespace:string:p"
    ),
    "core.AzureFileVolumeSource": "1:secretName:string 2:shareName:string 3:readOnly:bool:o",
    "core.Binding": "1:metadata:@meta.ObjectMeta:o 2:target:@core.ObjectReference",
    "core.CSIPersistentVolumeSource": (
        "1:driver:string 2:volumeHandle:string 3:readOnly:bool:o 4:fsType:string:o"
        " 5:volumeAttributes:{string}:o 6:controllerPublishSecretRef:@core.SecretReference:op"
        " 7:nodeStageSecretRef:@core.SecretReference:op 8:nodePublishSecretRef:@core.SecretReference:op"
        " 9:controllerExpandSecretRef:@core.SecretReference:op"
        " 10:nodeExpandSecretRef:@core.SecretReference:op"
    ),
    "core.CSIVolumeSource": (
        "1:driver:string 2:readOnly:bool:op 3:fsType:string:op 4:volumeAttributes:{string}:o"
        " 5:nodePublishSecretRef:@core.LocalObjectReference:op"
    ),
    "core.Capabilities": "1:add:[string]:o 2:drop:[string]:o",
    "core.CephFSPersistentVolumeSource": (
        "1:monitors:[string] 2:path:string:o 3:user:string:o 4:secretFile:string:o"
        " 5:secretRef:@core.SecretReference:op 6:readOnly:bool:o"
    ),
    "core.CephFSVolumeSource": (
        "1:monitors:[string] 2:path:string:o 3:user:string:o 4:secretFile:string:o"
        " 5:secretRef:@core.LocalObjectReference:op 6:readOnly:bool:o"
    ),
    "core.CinderPersistentVolumeSource": (
        "1:volumeID:string 2:fsType:string:o 3:readOnly:bool:o 4:secretRef:@core.SecretReference:op"
    ),
    "core.CinderVolumeSource": (
        "1:volumeID:string 2:fsType:string:o 3:readOnly:bool:o 4:secretRef:@core.LocalObjectReference:op"
    ),
    "core.ClientIPConfig": "1:timeoutSeconds:int32:op",
    "core.ClusterTrustBundleProjection": (
        "1:name:string:op 2:signerName:string:op 3:labelSelector:@meta.LabelSelector:op 5:optional:bool:op"
        " 4:path:string 6:user:int64:op"
    ),
    "core.ComponentCondition": "1:type:string 2:status:string 3:message:string:o 4:error:string:o",
    "core.ComponentStatus": "1:metadata:@meta.ObjectMeta:o 2:conditions:[@core.ComponentCondition]:o",
    "core.ConfigMap": (
        "1:metadata:@meta.ObjectMeta:o 4:immutable:bool:op 2:data:{string}:o 3:binaryData:{bytes}:o"
    ),
    "core.ConfigMapEnvSource": "1::@core.LocalObjectReference:i 2:optional:bool:op",
    "core.ConfigMapKeySelector": "1::@core.LocalObjectReference:i 2:key:string 3:optional:bool:op",
    "core.ConfigMapNodeConfigSource": (
        "1:namespace:string 2:name:string 3:uid:string:o 4:resourceVersion:string:o"
        " 5:kubeletConfigKey:string"
    ),
    "core.ConfigMapProjection": (
        "1::@core.LocalObjectReference:i 2:items:[@core.KeyToPath]:o 4:optional:bool:op"
    ),
    "core.ConfigMapVolumeSource": (
        "1::@core.LocalObjectReference:i 2:items:[@core.KeyToPath]:o 3:defaultMode:int32:op"
        " 4:optional:bool:op 5:defaultUser:int64:op"
    ),
    "core.Container": (
        "1:name:string 2:image:string:o 3:command:[string]:o 4:args:[string]:o 5:workingDir:string:o"
        " 6:ports:[@core.ContainerPort]:o 19:envFrom:[@core.EnvFromSource]:o 7:env:[@core.EnvVar]:o"
        " 8:resources:@core.ResourceRequirements:o 23:resizePolicy:[@core.ContainerResizePolicy]:o"
        " 24:restartPolicy:string:op 25:restartPolicyRules:[@core.ContainerRestartRule]:o"
        " 9:volumeMounts:[@core.VolumeMount]:o 21:volumeDevices:[@core.VolumeDevice]:o"
        " 10:livenessProbe:@core.Probe:op 11:readinessProbe:@core.Probe:op 22:startupProbe:@core.Probe:op"
        " 12:lifecycle:@core.Lifecycle:op 13:terminationMessagePath:string:o"
        " 20:terminationMessagePolicy:string:o 14:imagePullPolicy:string:o"
        " 15:securityContext:@core.SecurityContext:op 16:stdin:bool:o 17:stdinOnce:bool:o 18:tty:bool:o"
    ),
    "core.ContainerExtendedResourceRequest": (
        "1:containerName:string 2:resourceName:string 3:requestName:string"
    ),
    "core.ContainerImage": "1:names:[string] 2:sizeBytes:int64:o",
    "core.ContainerPort": (
        "1:name:string:o 2:hostPort:int32:o 3:containerPort:int32 4:protocol:string:o 5:hostIP:string:o"
    ),
    "core.ContainerResizePolicy": "1:resourceName:string 2:restartPolicy:string",
    "core.ContainerRestartRule": "1:action:string:o 2:exitCodes:@core.ContainerRestartRuleOnExitCodes:op",
    "core.ContainerRestartRuleOnExitCodes": "1:operator:string:o 2:values:[int32]:o",
    "core.ContainerState": (
        "1:waiting:@core.ContainerStateWaiting:op 2:running:@core.ContainerStateRunning:op"
        " 3:terminated:@core.ContainerStateTerminated:op"
    ),
    "core.ContainerStateRunning": "1:startedAt:time:o",
    "core.ContainerStateTerminated": (
        "1:exitCode:int32 2:signal:int32:o 3:reason:string:o 4:message:string:o 5:startedAt:time:o"
        " 6:finishedAt:time:o 7:containerID:string:o"
    ),
    "core.ContainerStateWaiting": "1:reason:string:o 2:message:string:o",
    "core.ContainerStatus": (
        "1:name:string 2:state:@core.ContainerState:o 3:lastState:@core.ContainerState:o 4:ready:bool"
        " 5:restartCount:int32 6:image:string 7:imageID:string 8:containerID:string:o 9:started:bool:op"
        " 10:allocatedResources:{quantity}:o 11:resources:@core.ResourceRequirements:op"
        " 12:volumeMounts:[@core.VolumeMountStatus]:o 13:user:@core.ContainerUser:op"
        " 14:allocatedResourcesStatus:[@core.ResourceStatus]:o 15:stopSignal:string:op"
    ),
    "core.ContainerUser": "1:linux:@core.LinuxContainerUser:op",
    "core.DaemonEndpoint": "1:Port:int32",
    "core.DownwardAPIProjection": "1:items:[@core.DownwardAPIVolumeFile]:o",
    "core.DownwardAPIVolumeFile": (
        "1:path:string 2:fieldRef:@core.ObjectFieldSelector:op"
        " 3:resourceFieldRef:@core.ResourceFieldSelector:op 4:mode:int32:op 5:user:int64:op"
    ),
    "core.DownwardAPIVolumeSource": (
        "1:items:[@core.DownwardAPIVolumeFile]:o 2:defaultMode:int32:op 3:defaultUser:int64:op"
    ),
    "core.EmptyDirVolumeSource": "1:medium:string:o 2:sizeLimit:quantity:op 3:mode:int32:op",
    "core.EndpointAddress": (
        "1:ip:string 3:hostname:string:o 4:nodeName:string:op 2:targetRef:@core.ObjectReference:op"
    ),
    "core.EndpointPort": "1:name:string:o 2:port:int32 3:protocol:string:o 4:appProtocol:string:op",
    "core.EndpointSubset": (
        "1:addresses:[@core.EndpointAddress]:o 2:notReadyAddresses:[@core.EndpointAddress]:o"
        " 3:ports:[@core.EndpointPort]:o"
    ),
    "core.Endpoints": "1:metadata:@meta.ObjectMeta:o 2:subsets:[@core.EndpointSubset]:o",
    "core.EnvFromSource": (
        "1:prefix:string:o 2:configMapRef:@core.ConfigMapEnvSource:op 3:secretRef:@core.SecretEnvSource:op"
    ),
    "core.EnvVar": "1:name:string 2:value:string:o 3:valueFrom:@core.EnvVarSource:op",
    "core.EnvVarSource": (
        "1:fieldRef:@core.ObjectFieldSelector:op 2:resourceFieldRef:@core.ResourceFieldSelector:op"
        " 3:configMapKeyRef:@core.ConfigMapKeySelector:op 4:secretKeyRef:@core.SecretKeySelector:op"
        " 5:fileKeyRef:@core.FileKeySelector:op"
    ),
    "core.EphemeralContainer": "1::@core.EphemeralContainerCommon:i 2:targetContainerName:string:o",
    "core.EphemeralContainerCommon": (
        "1:name:string 2:image:string:o 3:command:[string]:o 4:args:[string]:o 5:workingDir:string:o"
        " 6:ports:[@core.ContainerPort]:o 19:envFrom:[@core.EnvFromSource]:o 7:env:[@core.EnvVar]:o"
        " 8:resources:@core.ResourceRequirements:o 23:resizePolicy:[@core.ContainerResizePolicy]:o"
        " 24:restartPolicy:string:op 25:restartPolicyRules:[@core.ContainerRestartRule]:o"
        " 9:volumeMounts:[@core.VolumeMount]:o 21:volumeDevices:[@core.VolumeDevice]:o"
        " 10:livenessProbe:@core.Probe:op 11:readinessProbe:@core.Probe:op 22:startupProbe:@core.Probe:op"
        " 12:lifecycle:@core.Lifecycle:op 13:terminationMessagePath:string:o"
        " 20:terminationMessagePolicy:string:o 14:imagePullPolicy:string:o"
        " 15:securityContext:@core.SecurityContext:op 16:stdin:bool:o 17:stdinOnce:bool:o 18:tty:bool:o"
    ),
    "core.EphemeralVolumeSource": "1:volumeClaimTemplate:@core.PersistentVolumeClaimTemplate:op",
    "core.Event": (
        "1:metadata:@meta.ObjectMeta 2:involvedObject:@core.ObjectReference 3:reason:string:o"
        " 4:message:string:o 5:source:@core.EventSource:o 6:firstTimestamp:time:o 7:lastTimestamp:time:o"
        " 8:count:int32:o 9:type:string:o 10:eventTime:microtime:o 11:series:@core.EventSeries:op"
        " 12:action:string:o 13:related:@core.ObjectReference:op 14:reportingComponent:string"
        " 15:reportingInstance:string"
    ),
    "core.EventSeries": "1:count:int32:o 2:lastObservedTime:microtime:o",
    "core.EventSource": "1:component:string:o 2:host:string:o",
    "core.EvictionResponder": "1:name:string 2:priority:int32:p",
    "core.ExecAction": "1:command:[string]:o",
    "core.FCVolumeSource": (
        "1:targetWWNs:[string]:o 2:lun:int32:op 3:fsType:string:o 4:readOnly:bool:o 5:wwids:[string]:o"
    ),
    "core.FileKeySelector": "1:volumeName:string 2:path:string 3:key:string 4:optional:bool:op",
    "core.FlexPersistentVolumeSource": (
        "1:driver:string 2:fsType:string:o 3:secretRef:@core.SecretReference:op 4:readOnly:bool:o"
        " 5:options:{string}:o"
    ),
    "core.FlexVolumeSource": (
        "1:driver:string 2:fsType:string:o 3:secretRef:@core.LocalObjectReference:op 4:readOnly:bool:o"
        " 5:options:{string}:o"
    ),
    "core.FlockerVolumeSource": "1:datasetName:string:o 2:datasetUUID:string:o",
    "core.GCEPersistentDiskVolumeSource": (
        "1:pdName:string 2:fsType:string:o 3:partition:int32:o 4:readOnly:bool:o"
    ),
    "core.GRPCAction": "1:port:int32 2:service:string:p 3:mode:string:op",
    "core.GitRepoVolumeSource": "1:repository:string 2:revision:string:o 3:directory:string:o",
    "core.GlusterfsPersistentVolumeSource": (
        "1:endpoints:string 2:path:string 3:readOnly:bool:o 4:endpointsNamespace:string:op"
    ),
    "core.GlusterfsVolumeSource": "1:endpoints:string 2:path:string 3:readOnly:bool:o",
    "core.HTTPGetAction": (
        "1:path:string:o 2:port:intorstr 3:host:string:o 4:scheme:string:o"
        " 5:httpHeaders:[@core.HTTPHeader]:o 6:protocol:string:op"
    ),
    "core.HTTPHeader": "1:name:string 2:value:string",
    "core.HostAlias": "1:ip:string 2:hostnames:[string]:o",
    "core.HostIP": "1:ip:string",
    "core.HostPathVolumeSource": "1:path:string 2:type:string:op",
    "core.ISCSIPersistentVolumeSource": (
        "1:targetPortal:string 2:iqn:string 3:lun:int32 4:iscsiInterface:string:o 5:fsType:string:o"
        " 6:readOnly:bool:o 7:portals:[string]:o 8:chapAuthDiscovery:bool:o 11:chapAuthSession:bool:o"
        " 10:secretRef:@core.SecretReference:op 12:initiatorName:string:op"
    ),
    "core.ISCSIVolumeSource": (
        "1:targetPortal:string 2:iqn:string 3:lun:int32 4:iscsiInterface:string:o 5:fsType:string:o"
        " 6:readOnly:bool:o 7:portals:[string]:o 8:chapAuthDiscovery:bool:o 11:chapAuthSession:bool:o"
        " 10:secretRef:@core.LocalObjectReference:op 12:initiatorName:string:op"
    ),
    "core.ImageVolumeSource": "1:reference:string:o 2:pullPolicy:string:o",
    "core.ImageVolumeStatus": "1:imageRef:string:o",
    "core.KeyToPath": "1:key:string 2:path:string 3:mode:int32:op 4:user:int64:op",
    "core.Lifecycle": (
        "1:postStart:@core.LifecycleHandler:op 2:preStop:@core.LifecycleHandler:op 3:stopSignal:string:op"
    ),
    "core.LifecycleHandler": (
        "1:exec:@core.ExecAction:op 2:httpGet:@core.HTTPGetAction:op 3:tcpSocket:@core.TCPSocketAction:op"
        " 4:sleep:@core.SleepAction:op"
    ),
    "core.LimitRange": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.LimitRangeSpec:o",
    "core.LimitRangeItem": (
        "1:type:string 2:max:{quantity}:o 3:min:{quantity}:o 4:default:{quantity}:o"
        " 5:defaultRequest:{quantity}:o 6:maxLimitRequestRatio:{quantity}:o"
    ),
    "core.LimitRangeSpec": "1:limits:[@core.LimitRangeItem]",
    "core.LinuxContainerUser": "1:uid:int64 2:gid:int64 3:supplementalGroups:[int64]:o",
    "core.LoadBalancerIngress": (
        "1:ip:string:o 2:hostname:string:o 3:ipMode:string:op 4:ports:[@core.PortStatus]:o"
    ),
    "core.LoadBalancerStatus": "1:ingress:[@core.LoadBalancerIngress]:o",
    "core.LocalObjectReference": "1:name:string:o",
    "core.LocalVolumeSource": "1:path:string 2:fsType:string:op",
    "core.ModifyVolumeStatus": "1:targetVolumeAttributesClassName:string:o 2:status:string",
    "core.NFSVolumeSource": "1:server:string 2:path:string 3:readOnly:bool:o",
    "core.Namespace": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.NamespaceSpec:o 3:status:@core.NamespaceStatus:o"
    ),
    "core.NamespaceCondition": (
        "1:type:string 2:status:string 4:lastTransitionTime:time:o 5:reason:string:o 6:message:string:o"
    ),
    "core.NamespaceSpec": "1:finalizers:[string]:o",
    "core.NamespaceStatus": "1:phase:string:o 2:conditions:[@core.NamespaceCondition]:o",
    "core.Node": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.NodeSpec:o 3:status:@core.NodeStatus:o",
    "core.NodeAddress": "1:type:string 2:address:string",
    "core.NodeAffinity": (
        "1:requiredDuringSchedulingIgnoredDuringExecution:@core.NodeSelector:op"
        " 2:preferredDuringSchedulingIgnoredDuringExecution:[@core.PreferredSchedulingTerm]:o"
    ),
    "core.NodeAllocatableMappedResources": "1:name:string 2:quantity:quantity:p",
    "core.NodeAllocatableOverheadResources": "1:name:string 2:perPod:quantity:op 3:perContainer:quantity:op",
    "core.NodeAllocatableResourceClaimStatus": (
        "1:resourceClaimName:string 2:containers:[string]:o"
        " 4:mapping:[@core.NodeAllocatableMappedResources]:o"
        " 5:overhead:[@core.NodeAllocatableOverheadResources]:o"
    ),
    "core.NodeCondition": (
        "1:type:string 2:status:string 3:lastHeartbeatTime:time:o 4:lastTransitionTime:time:o"
        " 5:reason:string:o 6:message:string:o"
    ),
    "core.NodeConfigSource": "2:configMap:@core.ConfigMapNodeConfigSource:op",
    "core.NodeConfigStatus": (
        "1:assigned:@core.NodeConfigSource:op 2:active:@core.NodeConfigSource:op"
        " 3:lastKnownGood:@core.NodeConfigSource:op 4:error:string:o"
    ),
    "core.NodeDaemonEndpoints": "1:kubeletEndpoint:@core.DaemonEndpoint:o",
    "core.NodeFeatures": "1:supplementalGroupsPolicy:bool:op",
    "core.NodePodPreemptionPolicy": "1:disableResizePreemption:[string]:o",
    "core.NodeRuntimeHandler": "1:name:string 2:features:@core.NodeRuntimeHandlerFeatures:op",
    "core.NodeRuntimeHandlerFeatures": "1:recursiveReadOnlyMounts:bool:op 2:userNamespaces:bool:op",
    "core.NodeSelector": "1:nodeSelectorTerms:[@core.NodeSelectorTerm]",
    "core.NodeSelectorRequirement": "1:key:string 2:operator:string 3:values:[string]:o",
    "core.NodeSelectorTerm": (
        "1:matchExpressions:[@core.NodeSelectorRequirement]:o"
        " 2:matchFields:[@core.NodeSelectorRequirement]:o"
    ),
    "core.NodeSpec": (
        "1:podCIDR:string:o 7:podCIDRs:[string]:o 3:providerID:string:o 4:unschedulable:bool:o"
        " 5:taints:[@core.Taint]:o 6:configSource:@core.NodeConfigSource:op 2:externalID:string:o"
        " 8:podPreemptionPolicy:@core.NodePodPreemptionPolicy:op"
    ),
    "core.NodeStatus": (
        "1:capacity:{quantity}:o 2:allocatable:{quantity}:o 3:phase:string:o"
        " 4:conditions:[@core.NodeCondition]:o 5:addresses:[@core.NodeAddress]:o"
        " 6:daemonEndpoints:@core.NodeDaemonEndpoints:o 7:nodeInfo:@core.NodeSystemInfo:o"
        " 8:images:[@core.ContainerImage]:o 9:volumesInUse:[string]:o"
        " 10:volumesAttached:[@core.AttachedVolume]:o 11:config:@core.NodeConfigStatus:op"
        " 12:runtimeHandlers:[@core.NodeRuntimeHandler]:o 13:features:@core.NodeFeatures:op"
        " 14:declaredFeatures:[string]:o"
    ),
    "core.NodeSwapStatus": "1:capacity:int64:op",
    "core.NodeSystemInfo": (
        "1:machineID:string 2:systemUUID:string 3:bootID:string 4:kernelVersion:string 5:osImage:string"
        " 6:containerRuntimeVersion:string 7:kubeletVersion:string 8:kubeProxyVersion:string"
        " 9:operatingSystem:string 10:architecture:string 11:swap:@core.NodeSwapStatus:op"
    ),
    "core.ObjectFieldSelector": "1:apiVersion:string:o 2:fieldPath:string",
    "core.ObjectReference": (
        "1:kind:string:o 2:namespace:string:o 3:name:string:o 4:uid:string:o 5:apiVersion:string:o"
        " 6:resourceVersion:string:o 7:fieldPath:string:o"
    ),
    "core.PersistentVolume": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PersistentVolumeSpec:o"
        " 3:status:@core.PersistentVolumeStatus:o"
    ),
    "core.PersistentVolumeClaim": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PersistentVolumeClaimSpec:o"
        " 3:status:@core.PersistentVolumeClaimStatus:o"
    ),
    "core.PersistentVolumeClaimCondition": (
        "1:type:string 2:status:string 3:lastProbeTime:time:o 4:lastTransitionTime:time:o 5:reason:string:o"
        " 6:message:string:o"
    ),
    "core.PersistentVolumeClaimSpec": (
        "1:accessModes:[string]:o 4:selector:@meta.LabelSelector:op"
        " 2:resources:@core.VolumeResourceRequirements:o 3:volumeName:string:o 5:storageClassName:string:op"
        " 6:volumeMode:string:op 7:dataSource:@core.TypedLocalObjectReference:op"
        " 8:dataSourceRef:@core.TypedObjectReference:op 9:volumeAttributesClassName:string:op"
    ),
    "core.PersistentVolumeClaimStatus": (
        "1:phase:string:o 2:accessModes:[string]:o 3:capacity:{quantity}:o"
        " 4:conditions:[@core.PersistentVolumeClaimCondition]:o 5:allocatedResources:{quantity}:o"
        " 7:allocatedResourceStatuses:{string}:o 8:currentVolumeAttributesClassName:string:op"
        " 9:modifyVolumeStatus:@core.ModifyVolumeStatus:op 10:healthStatus:@core.VolumeHealthStatus:op"
    ),
    "core.PersistentVolumeClaimTemplate": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PersistentVolumeClaimSpec"
    ),
    "core.PersistentVolumeClaimVolumeSource": "1:claimName:string 2:readOnly:bool:o",
    "core.PersistentVolumeSource": (
        "1:gcePersistentDisk:@core.GCEPersistentDiskVolumeSource:op"
        " 2:awsElasticBlockStore:@core.AWSElasticBlockStoreVolumeSource:op"
        " 3:hostPath:@core.HostPathVolumeSource:op 4:glusterfs:@core.GlusterfsPersistentVolumeSource:op"
        " 5:nfs:@core.NFSVolumeSource:op 6:rbd:@core.RBDPersistentVolumeSource:op"
        " 7:iscsi:@core.ISCSIPersistentVolumeSource:op 8:cinder:@core.CinderPersistentVolumeSource:op"
        " 9:cephfs:@core.CephFSPersistentVolumeSource:op 10:fc:@core.FCVolumeSource:op"
        " 11:flocker:@core.FlockerVolumeSource:op 12:flexVolume:@core.FlexPersistentVolumeSource:op"
        " 13:azureFile:@core.AzureFilePersistentVolumeSource:op"
        " 14:vsphereVolume:@core.VsphereVirtualDiskVolumeSource:op 15:quobyte:@core.QuobyteVolumeSource:op"
        " 16:azureDisk:@core.AzureDiskVolumeSource:op"
        " 17:photonPersistentDisk:@core.PhotonPersistentDiskVolumeSource:op"
        " 18:portworxVolume:@core.PortworxVolumeSource:op 19:scaleIO:@core.ScaleIOPersistentVolumeSource:op"
        " 20:local:@core.LocalVolumeSource:op 21:storageos:@core.StorageOSPersistentVolumeSource:op"
        " 22:csi:@core.CSIPersistentVolumeSource:op"
    ),
    "core.PersistentVolumeSpec": (
        "1:capacity:{quantity}:o 2::@core.PersistentVolumeSource:i 3:accessModes:[string]:o"
        " 4:claimRef:@core.ObjectReference:op 5:persistentVolumeReclaimPolicy:string:o"
        " 6:storageClassName:string:o 7:mountOptions:[string]:o 8:volumeMode:string:op"
        " 9:nodeAffinity:@core.VolumeNodeAffinity:op 10:volumeAttributesClassName:string:op"
    ),
    "core.PersistentVolumeStatus": (
        "1:phase:string:o 2:message:string:o 3:reason:string:o 4:lastPhaseTransitionTime:time:op"
    ),
    "core.PhotonPersistentDiskVolumeSource": "1:pdID:string 2:fsType:string:o",
    "core.Pod": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PodSpec:o 3:status:@core.PodStatus:o",
    "core.PodAffinity": (
        "1:requiredDuringSchedulingIgnoredDuringExecution:[@core.PodAffinityTerm]:o"
        " 2:preferredDuringSchedulingIgnoredDuringExecution:[@core.WeightedPodAffinityTerm]:o"
    ),
    "core.PodAffinityTerm": (
        "1:labelSelector:@meta.LabelSelector:op 2:namespaces:[string]:o 3:topologyKey:string"
        " 4:namespaceSelector:@meta.LabelSelector:op 5:matchLabelKeys:[string]:o"
        " 6:mismatchLabelKeys:[string]:o"
    ),
    "core.PodAntiAffinity": (
        "1:requiredDuringSchedulingIgnoredDuringExecution:[@core.PodAffinityTerm]:o"
        " 2:preferredDuringSchedulingIgnoredDuringExecution:[@core.WeightedPodAffinityTerm]:o"
    ),
    "core.PodCertificateProjection": (
        "1:signerName:string:o 2:keyType:string:o 3:maxExpirationSeconds:int32:op"
        " 4:credentialBundlePath:string:o 5:keyPath:string:o 6:certificateChainPath:string:o"
        " 7:userAnnotations:{string}:o 8:user:int64:op"
    ),
    "core.PodCondition": (
        "1:type:string 7:observedGeneration:int64:o 2:status:string 3:lastProbeTime:time:o"
        " 4:lastTransitionTime:time:o 5:reason:string:o 6:message:string:o"
    ),
    "core.PodDNSConfig": (
        "1:nameservers:[string]:o 2:searches:[string]:o 3:options:[@core.PodDNSConfigOption]:o"
    ),
    "core.PodDNSConfigOption": "1:name:string:o 2:value:string:op",
    "core.PodExtendedResourceClaimStatus": (
        "1:requestMappings:[@core.ContainerExtendedResourceRequest] 2:resourceClaimName:string"
    ),
    "core.PodIP": "1:ip:string",
    "core.PodOS": "1:name:string",
    "core.PodReadinessGate": "1:conditionType:string",
    "core.PodResourceClaim": (
        "1:name:string 3:resourceClaimName:string:op 4:resourceClaimTemplateName:string:op"
    ),
    "core.PodResourceClaimStatus": "1:name:string 2:resourceClaimName:string:op",
    "core.PodSchedulingGate": "1:name:string",
    "core.PodSchedulingGroup": "1:podGroupName:string:op",
    "core.PodSecurityContext": (
        "1:seLinuxOptions:@core.SELinuxOptions:op 8:windowsOptions:@core.WindowsSecurityContextOptions:op"
        " 2:runAsUser:int64:op 6:runAsGroup:int64:op 3:runAsNonRoot:bool:op 4:supplementalGroups:[int64]:o"
        " 12:supplementalGroupsPolicy:string:op 5:fsGroup:int64:op 7:sysctls:[@core.Sysctl]:o"
        " 9:fsGroupChangePolicy:string:op 10:seccompProfile:@core.SeccompProfile:op"
        " 11:appArmorProfile:@core.AppArmorProfile:op 13:seLinuxChangePolicy:string:op"
    ),
    "core.PodSpec": (
        "1:volumes:[@core.Volume]:o 20:initContainers:[@core.Container]:o 2:containers:[@core.Container]"
        " 34:ephemeralContainers:[@core.EphemeralContainer]:o 3:restartPolicy:string:o"
        " 4:terminationGracePeriodSeconds:int64:op 5:activeDeadlineSeconds:int64:op 6:dnsPolicy:string:o"
        " 7:nodeSelector:{string}:o 8:serviceAccountName:string:o 9:serviceAccount:string:o"
        " 21:automountServiceAccountToken:bool:op 10:nodeName:string:o 11:hostNetwork:bool:o"
        " 12:hostPID:bool:o 13:hostIPC:bool:o 27:shareProcessNamespace:bool:op"
        " 14:securityContext:@core.PodSecurityContext:op 15:imagePullSecrets:[@core.LocalObjectReference]:o"
        " 16:hostname:string:o 17:subdomain:string:o 18:affinity:@core.Affinity:op"
        " 19:schedulerName:string:o 22:tolerations:[@core.Toleration]:o 23:hostAliases:[@core.HostAlias]:o"
        " 24:priorityClassName:string:o 25:priority:int32:op 26:dnsConfig:@core.PodDNSConfig:op"
        " 28:readinessGates:[@core.PodReadinessGate]:o 29:runtimeClassName:string:op"
        " 30:enableServiceLinks:bool:op 31:preemptionPolicy:string:op 32:overhead:{quantity}:o"
        " 33:topologySpreadConstraints:[@core.TopologySpreadConstraint]:o 35:setHostnameAsFQDN:bool:op"
        " 36:os:@core.PodOS:op 37:hostUsers:bool:op 38:schedulingGates:[@core.PodSchedulingGate]:o"
        " 39:resourceClaims:[@core.PodResourceClaim]:o 40:resources:@core.ResourceRequirements:op"
        " 41:hostnameOverride:string:op 43:schedulingGroup:@core.PodSchedulingGroup:op"
        " 44:evictionResponders:[@core.EvictionResponder]:o"
    ),
    "core.PodStatus": (
        "17:observedGeneration:int64:o 1:phase:string:o 2:conditions:[@core.PodCondition]:o"
        " 3:message:string:o 4:reason:string:o 11:nominatedNodeName:string:o 5:hostIP:string:o"
        " 16:hostIPs:[@core.HostIP]:o 6:podIP:string:o 12:podIPs:[@core.PodIP]:o 7:startTime:time:op"
        " 10:initContainerStatuses:[@core.ContainerStatus]:o 8:containerStatuses:[@core.ContainerStatus]:o"
        " 9:qosClass:string:o 13:ephemeralContainerStatuses:[@core.ContainerStatus]:o 14:resize:string:o"
        " 15:resourceClaimStatuses:[@core.PodResourceClaimStatus]:o"
        " 18:extendedResourceClaimStatus:@core.PodExtendedResourceClaimStatus:op"
        " 19:allocatedResources:{quantity}:o 20:resources:@core.ResourceRequirements:op"
        " 21:nodeAllocatableResourceClaimStatuses:[@core.NodeAllocatableResourceClaimStatus]:o"
        " 22:volumeHealth:[@core.PodVolumeHealth]:o"
    ),
    "core.PodTemplate": "1:metadata:@meta.ObjectMeta:o 2:template:@core.PodTemplateSpec:o",
    "core.PodTemplateSpec": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.PodSpec:o",
    "core.PodVolumeHealth": (
        "1:name:string 2:healthConditions:[@core.VolumeHealthCondition]:o 3:lastTransitionTime:time:o"
    ),
    "core.PortStatus": "1:port:int32 2:protocol:string 3:error:string:op",
    "core.PortworxVolumeSource": "1:volumeID:string 2:fsType:string:o 3:readOnly:bool:o",
    "core.PreferredSchedulingTerm": "1:weight:int32 2:preference:@core.NodeSelectorTerm",
    "core.Probe": (
        "1::@core.ProbeHandler:i 2:initialDelaySeconds:int32:o 3:timeoutSeconds:int32:o"
        " 4:periodSeconds:int32:o 5:successThreshold:int32:o 6:failureThreshold:int32:o"
        " 7:terminationGracePeriodSeconds:int64:op"
    ),
    "core.ProbeHandler": (
        "1:exec:@core.ExecAction:op 2:httpGet:@core.HTTPGetAction:op 3:tcpSocket:@core.TCPSocketAction:op"
        " 4:grpc:@core.GRPCAction:op"
    ),
    "core.ProjectedVolumeSource": (
        "1:sources:[@core.VolumeProjection] 2:defaultMode:int32:op 3:defaultUser:int64:op"
    ),
    "core.QuobyteVolumeSource": (
        "1:registry:string 2:volume:string 3:readOnly:bool:o 4:user:string:o 5:group:string:o"
        " 6:tenant:string:o"
    ),
    "core.RBDPersistentVolumeSource": (
        "1:monitors:[string] 2:image:string 3:fsType:string:o 4:pool:string:o 5:user:string:o"
        " 6:keyring:string:o 7:secretRef:@core.SecretReference:op 8:readOnly:bool:o"
    ),
    "core.RBDVolumeSource": (
        "1:monitors:[string] 2:image:string 3:fsType:string:o 4:pool:string:o 5:user:string:o"
        " 6:keyring:string:o 7:secretRef:@core.LocalObjectReference:op 8:readOnly:bool:o"
    ),
    "core.ReplicationController": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.ReplicationControllerSpec:o"
        " 3:status:@core.ReplicationControllerStatus:o"
    ),
    "core.ReplicationControllerCondition": (
        "1:type:string 2:status:string 3:lastTransitionTime:time:o 4:reason:string:o 5:message:string:o"
    ),
    "core.ReplicationControllerSpec": (
        "1:replicas:int32:op 4:minReadySeconds:int32:o 2:selector:{string}:o"
        " 3:template:@core.PodTemplateSpec:op"
    ),
    "core.ReplicationControllerStatus": (
        "1:replicas:int32 2:fullyLabeledReplicas:int32:o 4:readyReplicas:int32:o"
        " 5:availableReplicas:int32:o 3:observedGeneration:int64:o"
        " 6:conditions:[@core.ReplicationControllerCondition]:o"
    ),
    "core.ResourceClaim": "1:name:string 2:request:string:o",
    "core.ResourceFieldSelector": "1:containerName:string:o 2:resource:string 3:divisor:quantity:o",
    "core.ResourceHealth": "1:resourceID:string 2:health:string:o 6:message:string:op",
    "core.ResourceQuota": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@core.ResourceQuotaSpec:o"
        " 3:status:@core.ResourceQuotaStatus:o"
    ),
    "core.ResourceQuotaSpec": (
        "1:hard:{quantity}:o 2:scopes:[string]:o 3:scopeSelector:@core.ScopeSelector:op"
    ),
    "core.ResourceQuotaStatus": "1:hard:{quantity}:o 2:used:{quantity}:o",
    "core.ResourceRequirements": (
        "1:limits:{quantity}:o 2:requests:{quantity}:o 3:claims:[@core.ResourceClaim]:o"
    ),
    "core.ResourceStatus": "1:name:string 2:resources:[@core.ResourceHealth]:o",
    "core.SELinuxOptions": "1:user:string:o 2:role:string:o 3:type:string:o 4:level:string:o",
    "core.ScaleIOPersistentVolumeSource": (
        "1:gateway:string 2:system:string 3:secretRef:@core.SecretReference:p 4:sslEnabled:bool:o"
        " 5:protectionDomain:string:o 6:storagePool:string:o 7:storageMode:string:o 8:volumeName:string:o"
        " 9:fsType:string:o 10:readOnly:bool:o"
    ),
    "core.ScaleIOVolumeSource": (
        "1:gateway:string 2:system:string 3:secretRef:@core.LocalObjectReference:p 4:sslEnabled:bool:o"
        " 5:protectionDomain:string:o 6:storagePool:string:o 7:storageMode:string:o 8:volumeName:string:o"
        " 9:fsType:string:o 10:readOnly:bool:o"
    ),
    "core.ScopeSelector": "1:matchExpressions:[@core.ScopedResourceSelectorRequirement]:o",
    "core.ScopedResourceSelectorRequirement": "1:scopeName:string 2:operator:string 3:values:[string]:o",
    "core.SeccompProfile": "1:type:string 2:localhostProfile:string:op",
    "core.Secret": (
        "1:metadata:@meta.ObjectMeta:o 5:immutable:bool:op 2:data:{bytes}:o 4:stringData:{string}:o"
        " 3:type:string:o"
    ),
    "core.SecretEnvSource": "1::@core.LocalObjectReference:i 2:optional:bool:op",
    "core.SecretKeySelector": "1::@core.LocalObjectReference:i 2:key:string 3:optional:bool:op",
    "core.SecretProjection": "1::@core.LocalObjectReference:i 2:items:[@core.KeyToPath]:o 4:optional:bool:op",
    "core.SecretReference": "1:name:string:o 2:namespace:string:o",
    "core.SecretVolumeSource": (
        "1:secretName:string:o 2:items:[@core.KeyToPath]:o 3:defaultMode:int32:op 4:optional:bool:op"
        " 5:defaultUser:int64:op"
    ),
    "core.SecurityContext": (
        "1:capabilities:@core.Capabilities:op 2:privileged:bool:op 3:seLinuxOptions:@core.SELinuxOptions:op"
        " 10:windowsOptions:@core.WindowsSecurityContextOptions:op 4:runAsUser:int64:op"
        " 8:runAsGroup:int64:op 5:runAsNonRoot:bool:op 6:readOnlyRootFilesystem:bool:op"
        " 7:allowPrivilegeEscalation:bool:op 9:procMount:string:op"
        " 11:seccompProfile:@core.SeccompProfile:op 12:appArmorProfile:@core.AppArmorProfile:op"
    ),
    "core.Service": "1:metadata:@meta.ObjectMeta:o 2:spec:@core.ServiceSpec:o 3:status:@core.ServiceStatus:o",
    "core.ServiceAccount": (
        "1:metadata:@meta.ObjectMeta:o 2:secrets:[@core.ObjectReference]:o"
        " 3:imagePullSecrets:[@core.LocalObjectReference]:o 4:automountServiceAccountToken:bool:op"
    ),
    "core.ServiceAccountTokenProjection": (
        "1:audience:string:o 2:expirationSeconds:int64:op 3:path:string 4:user:int64:op"
    ),
    "core.ServicePort": (
        "1:name:string:o 2:protocol:string:o 6:appProtocol:string:op 3:port:int32 4:targetPort:intorstr:o"
        " 5:nodePort:int32:o"
    ),
    "core.ServiceSpec": (
        "1:ports:[@core.ServicePort]:o 2:selector:{string}:o 3:clusterIP:string:o 18:clusterIPs:[string]:o"
        " 4:type:string:o 5:externalIPs:[string]:o 7:sessionAffinity:string:o 8:loadBalancerIP:string:o"
        " 9:loadBalancerSourceRanges:[string]:o 10:externalName:string:o 11:externalTrafficPolicy:string:o"
        " 12:healthCheckNodePort:int32:o 13:publishNotReadyAddresses:bool:o"
        " 14:sessionAffinityConfig:@core.SessionAffinityConfig:op 19:ipFamilies:[string]:o"
        " 17:ipFamilyPolicy:string:op 20:allocateLoadBalancerNodePorts:bool:op"
        " 21:loadBalancerClass:string:op 22:internalTrafficPolicy:string:op"
        " 23:trafficDistribution:string:op"
    ),
    "core.ServiceStatus": "1:loadBalancer:@core.LoadBalancerStatus:o 2:conditions:[@meta.Condition]:o",
    "core.SessionAffinityConfig": "1:clientIP:@core.ClientIPConfig:op",
    "core.SleepAction": "1:seconds:int64",
    "core.StorageOSPersistentVolumeSource": (
        "1:volumeName:string:o 2:volumeNamespace:string:o 3:fsType:string:o 4:readOnly:bool:o"
        " 5:secretRef:@core.ObjectReference:op"
    ),
    "core.StorageOSVolumeSource": (
        "1:volumeName:string:o 2:volumeNamespace:string:o 3:fsType:string:o 4:readOnly:bool:o"
        " 5:secretRef:@core.LocalObjectReference:op"
    ),
    "core.Sysctl": "1:name:string 2:value:string",
    "core.TCPSocketAction": "1:port:intorstr 2:host:string:o",
    "core.Taint": "1:key:string 2:value:string:o 3:effect:string 4:timeAdded:time:op",
    "core.Toleration": (
        "1:key:string:o 2:operator:string:o 3:value:string:o 4:effect:string:o 5:tolerationSeconds:int64:op"
    ),
    "core.TopologySpreadConstraint": (
        "1:maxSkew:int32 2:topologyKey:string 3:whenUnsatisfiable:string"
        " 4:labelSelector:@meta.LabelSelector:op 5:minDomains:int32:op 6:nodeAffinityPolicy:string:op"
        " 7:nodeTaintsPolicy:string:op 8:matchLabelKeys:[string]:o"
    ),
    "core.TypedLocalObjectReference": "1:apiGroup:string:p 2:kind:string 3:name:string",
    "core.TypedObjectReference": "1:apiGroup:string:p 2:kind:string 3:name:string 4:namespace:string:op",
    "core.Volume": "1:name:string 2::@core.VolumeSource:i",
    "core.VolumeDevice": "1:name:string 2:devicePath:string",
    "core.VolumeHealthCondition": "1:status:string 2:reason:string 3:message:string:o",
    "core.VolumeHealthStatus": (
        "1:healthConditions:[@core.VolumeHealthCondition]:o 2:lastTransitionTime:time:o"
    ),
    "core.VolumeMount": (
        "1:name:string 2:readOnly:bool:o 7:recursiveReadOnly:string:op 3:mountPath:string"
        " 4:subPath:string:o 5:mountPropagation:string:op 6:subPathExpr:string:o"
        " 8:bindMountOptions:[string]:o"
    ),
    "core.VolumeMountStatus": (
        "1:name:string 2:mountPath:string 3:readOnly:bool:o 4:recursiveReadOnly:string:op"
        " 5:volumeStatus:@core.VolumeStatus:op"
    ),
    "core.VolumeNodeAffinity": "1:required:@core.NodeSelector:op",
    "core.VolumeProjection": (
        "1:secret:@core.SecretProjection:op 2:downwardAPI:@core.DownwardAPIProjection:op"
        " 3:configMap:@core.ConfigMapProjection:op"
        " 4:serviceAccountToken:@core.ServiceAccountTokenProjection:op"
        " 5:clusterTrustBundle:@core.ClusterTrustBundleProjection:op"
        " 6:podCertificate:@core.PodCertificateProjection:op"
    ),
    "core.VolumeResourceRequirements": "1:limits:{quantity}:o 2:requests:{quantity}:o",
    "core.VolumeSource": (
        "1:hostPath:@core.HostPathVolumeSource:op 2:emptyDir:@core.EmptyDirVolumeSource:op"
        " 3:gcePersistentDisk:@core.GCEPersistentDiskVolumeSource:op"
        " 4:awsElasticBlockStore:@core.AWSElasticBlockStoreVolumeSource:op"
        " 5:gitRepo:@core.GitRepoVolumeSource:op 6:secret:@core.SecretVolumeSource:op"
        " 7:nfs:@core.NFSVolumeSource:op 8:iscsi:@core.ISCSIVolumeSource:op"
        " 9:glusterfs:@core.GlusterfsVolumeSource:op"
        " 10:persistentVolumeClaim:@core.PersistentVolumeClaimVolumeSource:op"
        " 11:rbd:@core.RBDVolumeSource:op 12:flexVolume:@core.FlexVolumeSource:op"
        " 13:cinder:@core.CinderVolumeSource:op 14:cephfs:@core.CephFSVolumeSource:op"
        " 15:flocker:@core.FlockerVolumeSource:op 16:downwardAPI:@core.DownwardAPIVolumeSource:op"
        " 17:fc:@core.FCVolumeSource:op 18:azureFile:@core.AzureFileVolumeSource:op"
        " 19:configMap:@core.ConfigMapVolumeSource:op"
        " 20:vsphereVolume:@core.VsphereVirtualDiskVolumeSource:op 21:quobyte:@core.QuobyteVolumeSource:op"
        " 22:azureDisk:@core.AzureDiskVolumeSource:op"
        " 23:photonPersistentDisk:@core.PhotonPersistentDiskVolumeSource:op"
        " 26:projected:@core.ProjectedVolumeSource:op 24:portworxVolume:@core.PortworxVolumeSource:op"
        " 25:scaleIO:@core.ScaleIOVolumeSource:op 27:storageos:@core.StorageOSVolumeSource:op"
        " 28:csi:@core.CSIVolumeSource:op 29:ephemeral:@core.EphemeralVolumeSource:op"
        " 30:image:@core.ImageVolumeSource:op"
    ),
    "core.VolumeStatus": "1:image:@core.ImageVolumeStatus:op",
    "core.VsphereVirtualDiskVolumeSource": (
        "1:volumePath:string 2:fsType:string:o 3:storagePolicyName:string:o 4:storagePolicyID:string:o"
    ),
    "core.WeightedPodAffinityTerm": "1:weight:int32 2:podAffinityTerm:@core.PodAffinityTerm",
    "core.WindowsSecurityContextOptions": (
        "1:gmsaCredentialSpecName:string:op 2:gmsaCredentialSpec:string:op 3:runAsUserName:string:op"
        " 4:hostProcess:bool:op"
    ),
    "discovery.Endpoint": (
        "1:addresses:[string] 2:conditions:@discovery.EndpointConditions:o 3:hostname:string:op"
        " 4:targetRef:@core.ObjectReference:op 5:deprecatedTopology:{string}:o 6:nodeName:string:op"
        " 7:zone:string:op 8:hints:@discovery.EndpointHints:op"
    ),
    "discovery.EndpointConditions": "1:ready:bool:op 2:serving:bool:op 3:terminating:bool:op",
    "discovery.EndpointHints": "1:forZones:[@discovery.ForZone]:o 2:forNodes:[@discovery.ForNode]:o",
    "discovery.EndpointPort": "1:name:string:op 2:protocol:string:op 3:port:int32:op 4:appProtocol:string:op",
    "discovery.EndpointSlice": (
        "1:metadata:@meta.ObjectMeta:o 4:addressType:string 2:endpoints:[@discovery.Endpoint]"
        " 3:ports:[@discovery.EndpointPort]"
    ),
    "discovery.ForNode": "1:name:string",
    "discovery.ForZone": "1:name:string",
    "events.Event": (
        "1:metadata:@meta.ObjectMeta 2:eventTime:microtime 3:series:@events.EventSeries:op"
        " 4:reportingController:string:o 5:reportingInstance:string:o 6:action:string:o 7:reason:string:o"
        " 8:regarding:@core.ObjectReference:o 9:related:@core.ObjectReference:op 10:note:string:o"
        " 11:type:string:o 12:deprecatedSource:@core.EventSource:o 13:deprecatedFirstTimestamp:time:o"
        " 14:deprecatedLastTimestamp:time:o 15:deprecatedCount:int32:o"
    ),
    "events.EventSeries": "1:count:int32 2:lastObservedTime:microtime",
    "meta.Condition": (
        "1:type:string 2:status:string 3:observedGeneration:int64:o 4:lastTransitionTime:time"
        " 5:reason:string 6:message:string"
    ),
    "meta.DeleteOptions": (
        "1:gracePeriodSeconds:int64:op 2:preconditions:@meta.Preconditions:op 3:orphanDependents:bool:op"
        " 4:propagationPolicy:string:op 5:dryRun:[string]:o"
        " 6:ignoreStoreReadErrorWithClusterBreakingPotential:bool:op"
    ),
    "meta.FieldSelectorRequirement": "1:key:string 2:operator:string 3:values:[string]:o",
    "meta.LabelSelector": "1:matchLabels:{string}:o 2:matchExpressions:[@meta.LabelSelectorRequirement]:o",
    "meta.LabelSelectorRequirement": "1:key:string 2:operator:string 3:values:[string]:o",
    "meta.ListMeta": (
        "1:selfLink:string:o 2:resourceVersion:string:o 3:continue:string:o 4:remainingItemCount:int64:op"
        " 5:shardInfo:@meta.ShardInfo:op"
    ),
    "meta.ManagedFieldsEntry": (
        "1:manager:string:o 2:operation:string:o 3:apiVersion:string:o 4:time:time:op 6:fieldsType:string:o"
        " 7:fieldsV1:fieldsv1:op 8:subresource:string:o"
    ),
    "meta.ObjectMeta": (
        "1:name:string:o 2:generateName:string:o 3:namespace:string:o 4:selfLink:string:o 5:uid:string:o"
        " 6:resourceVersion:string:o 7:generation:int64:o 8:creationTimestamp:time:oz"
        " 9:deletionTimestamp:time:op 10:deletionGracePeriodSeconds:int64:op 11:labels:{string}:o"
        " 12:annotations:{string}:o 13:ownerReferences:[@meta.OwnerReference]:o 14:finalizers:[string]:o"
        " 17:managedFields:[@meta.ManagedFieldsEntry]:o"
    ),
    "meta.OwnerReference": (
        "5:apiVersion:string 1:kind:string 3:name:string 4:uid:string 6:controller:bool:op"
        " 7:blockOwnerDeletion:bool:op"
    ),
    "meta.Preconditions": "1:uid:string:op 2:resourceVersion:string:op",
    "meta.ShardInfo": "1:selector:string",
    "meta.Status": (
        "1:metadata:@meta.ListMeta:o 2:status:string:o 3:message:string:o 4:reason:string:o"
        " 5:details:@meta.StatusDetails:op 6:code:int32:o"
    ),
    "meta.StatusCause": "1:reason:string:o 2:message:string:o 3:field:string:o",
    "meta.StatusDetails": (
        "1:name:string:o 2:group:string:o 3:kind:string:o 6:uid:string:o 4:causes:[@meta.StatusCause]:o"
        " 5:retryAfterSeconds:int32:o"
    ),
    "networking.HTTPIngressPath": "1:path:string:o 3:pathType:string:p 2:backend:@networking.IngressBackend",
    "networking.HTTPIngressRuleValue": "1:paths:[@networking.HTTPIngressPath]",
    "networking.IPAddress": "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.IPAddressSpec:o",
    "networking.IPAddressSpec": "1:parentRef:@networking.ParentReference:op",
    "networking.IPBlock": "1:cidr:string 2:except:[string]:o",
    "networking.Ingress": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.IngressSpec:o"
        " 3:status:@networking.IngressStatus:o"
    ),
    "networking.IngressBackend": (
        "4:service:@networking.IngressServiceBackend:op 3:resource:@core.TypedLocalObjectReference:op"
    ),
    "networking.IngressClass": "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.IngressClassSpec:o",
    "networking.IngressClassParametersReference": (
        "1:apiGroup:string:op 2:kind:string 3:name:string 4:scope:string:p 5:namespace:string:op"
    ),
    "networking.IngressClassSpec": (
        "1:controller:string:o 2:parameters:@networking.IngressClassParametersReference:op"
    ),
    "networking.IngressLoadBalancerIngress": (
        "1:ip:string:o 2:hostname:string:o 4:ports:[@networking.IngressPortStatus]:o"
    ),
    "networking.IngressLoadBalancerStatus": "1:ingress:[@networking.IngressLoadBalancerIngress]:o",
    "networking.IngressPortStatus": "1:port:int32 2:protocol:string 3:error:string:op",
    "networking.IngressRule": "1:host:string:o 2::@networking.IngressRuleValue:i",
    "networking.IngressRuleValue": "1:http:@networking.HTTPIngressRuleValue:op",
    "networking.IngressServiceBackend": "1:name:string 2:port:@networking.ServiceBackendPort:o",
    "networking.IngressSpec": (
        "4:ingressClassName:string:op 1:defaultBackend:@networking.IngressBackend:op"
        " 2:tls:[@networking.IngressTLS]:o 3:rules:[@networking.IngressRule]:o"
    ),
    "networking.IngressStatus": "1:loadBalancer:@networking.IngressLoadBalancerStatus:o",
    "networking.IngressTLS": "1:hosts:[string]:o 2:secretName:string:o",
    "networking.NetworkPolicy": "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.NetworkPolicySpec:o",
    "networking.NetworkPolicyEgressRule": (
        "1:ports:[@networking.NetworkPolicyPort]:o 2:to:[@networking.NetworkPolicyPeer]:o"
    ),
    "networking.NetworkPolicyIngressRule": (
        "1:ports:[@networking.NetworkPolicyPort]:o 2:from:[@networking.NetworkPolicyPeer]:o"
    ),
    "networking.NetworkPolicyPeer": (
        "1:podSelector:@meta.LabelSelector:op 2:namespaceSelector:@meta.LabelSelector:op"
        " 3:ipBlock:@networking.IPBlock:op"
    ),
    "networking.NetworkPolicyPort": "1:protocol:string:op 2:port:intorstr:op 3:endPort:int32:op",
    "networking.NetworkPolicySpec": (
        "1:podSelector:@meta.LabelSelector 2:ingress:[@networking.NetworkPolicyIngressRule]:o"
        " 3:egress:[@networking.NetworkPolicyEgressRule]:o 4:policyTypes:[string]:o"
    ),
    "networking.ParentReference": "1:group:string:o 2:resource:string:o 3:namespace:string:o 4:name:string:o",
    "networking.ServiceBackendPort": "1:name:string:o 2:number:int32:o",
    "networking.ServiceCIDR": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@networking.ServiceCIDRSpec:o"
        " 3:status:@networking.ServiceCIDRStatus:o"
    ),
    "networking.ServiceCIDRSpec": "1:cidrs:[string]:o",
    "networking.ServiceCIDRStatus": "1:conditions:[@meta.Condition]:o",
    "policy.Eviction": "1:metadata:@meta.ObjectMeta:o 2:deleteOptions:@meta.DeleteOptions:op",
    "policy.PodDisruptionBudget": (
        "1:metadata:@meta.ObjectMeta:o 2:spec:@policy.PodDisruptionBudgetSpec:o"
        " 3:status:@policy.PodDisruptionBudgetStatus:o"
    ),
    "policy.PodDisruptionBudgetSpec": (
        "1:minAvailable:intorstr:op 2:selector:@meta.LabelSelector:op 3:maxUnavailable:intorstr:op"
        " 4:unhealthyPodEvictionPolicy:string:op"
    ),
    "policy.PodDisruptionBudgetStatus": (
        "1:observedGeneration:int64:o 2:disruptedPods:{time}:o 3:disruptionsAllowed:int32"
        " 4:currentHealthy:int32 5:desiredHealthy:int32 6:expectedPods:int32"
        " 7:conditions:[@meta.Condition]:o"
    ),
    "rbac.AggregationRule": "1:clusterRoleSelectors:[@meta.LabelSelector]:o",
    "rbac.ClusterRole": (
        "1:metadata:@meta.ObjectMeta:o 2:rules:[@rbac.PolicyRule]"
        " 3:aggregationRule:@rbac.AggregationRule:op"
    ),
    "rbac.ClusterRoleBinding": (
        "1:metadata:@meta.ObjectMeta:o 2:subjects:[@rbac.Subject]:o 3:roleRef:@rbac.RoleRef"
    ),
    "rbac.PolicyRule": (
        "1:verbs:[string] 2:apiGroups:[string]:o 3:resources:[string]:o 4:resourceNames:[string]:o"
        " 5:nonResourceURLs:[string]:o"
    ),
    "rbac.Role": "1:metadata:@meta.ObjectMeta:o 2:rules:[@rbac.PolicyRule]",
    "rbac.RoleBinding": "1:metadata:@meta.ObjectMeta:o 2:subjects:[@rbac.Subject]:o 3:roleRef:@rbac.RoleRef",
    "rbac.RoleRef": "1:apiGroup:string 2:kind:string 3:name:string",
    "rbac.Subject": "1:kind:string 2:apiGroup:string:o 3:name:string 4:namespace:string:o",
    "scheduling.PriorityClass": (
        "1:metadata:@meta.ObjectMeta:o 2:value:int32 3:globalDefault:bool:o 4:description:string:o"
        " 5:preemptionPolicy:string:op"
    ),
    "schedv1alpha3.TopologyConstraint": "1:key:string",
    "schedv1alpha3.WorkloadPodGroupAllDisruptionMode": "",
    "schedv1alpha3.WorkloadPodGroupBasicSchedulingPolicy": "",
    "schedv1alpha3.WorkloadPodGroupDisruptionMode": (
        "1:single:@schedv1alpha3.WorkloadPodGroupSingleDisruptionMode:op"
        " 2:all:@schedv1alpha3.WorkloadPodGroupAllDisruptionMode:op"
    ),
    "schedv1alpha3.WorkloadPodGroupGangSchedulingPolicy": "1:minCount:int32:op",
    "schedv1alpha3.WorkloadPodGroupResourceClaim": (
        "1:name:string 2:resourceClaimName:string:op 3:resourceClaimTemplateName:string:op"
    ),
    "schedv1alpha3.WorkloadPodGroupSchedulingConstraints": "1:topology:[@schedv1alpha3.TopologyConstraint]:o",
    "schedv1alpha3.WorkloadPodGroupSchedulingPolicy": (
        "1:basic:@schedv1alpha3.WorkloadPodGroupBasicSchedulingPolicy:op"
        " 2:gang:@schedv1alpha3.WorkloadPodGroupGangSchedulingPolicy:op"
    ),
    "schedv1alpha3.WorkloadPodGroupSingleDisruptionMode": "",
}
_KINDS: Final[dict[tuple[str, str], str]] = {
    ("v1", "Binding"): "core.Binding",
    ("v1", "ComponentStatus"): "core.ComponentStatus",
    ("v1", "ConfigMap"): "core.ConfigMap",
    ("v1", "Endpoints"): "core.Endpoints",
    ("v1", "Event"): "core.Event",
    ("v1", "LimitRange"): "core.LimitRange",
    ("v1", "Namespace"): "core.Namespace",
    ("v1", "Node"): "core.Node",
    ("v1", "PersistentVolume"): "core.PersistentVolume",
    ("v1", "PersistentVolumeClaim"): "core.PersistentVolumeClaim",
    ("v1", "Pod"): "core.Pod",
    ("v1", "PodTemplate"): "core.PodTemplate",
    ("v1", "ReplicationController"): "core.ReplicationController",
    ("v1", "ResourceQuota"): "core.ResourceQuota",
    ("v1", "Secret"): "core.Secret",
    ("v1", "Service"): "core.Service",
    ("v1", "ServiceAccount"): "core.ServiceAccount",
    ("apps/v1", "ControllerRevision"): "apps.ControllerRevision",
    ("apps/v1", "DaemonSet"): "apps.DaemonSet",
    ("apps/v1", "Deployment"): "apps.Deployment",
    ("apps/v1", "ReplicaSet"): "apps.ReplicaSet",
    ("apps/v1", "StatefulSet"): "apps.StatefulSet",
    ("autoscaling/v1", "HorizontalPodAutoscaler"): "autoscaling.HorizontalPodAutoscaler",
    ("autoscaling/v1", "Scale"): "autoscaling.Scale",
    ("coordination.k8s.io/v1", "Lease"): "coordination.Lease",
    ("events.k8s.io/v1", "Event"): "events.Event",
    ("batch/v1", "CronJob"): "batch.CronJob",
    ("batch/v1", "Job"): "batch.Job",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "rbac.ClusterRole",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "rbac.ClusterRoleBinding",
    ("rbac.authorization.k8s.io/v1", "Role"): "rbac.Role",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "rbac.RoleBinding",
    ("policy/v1", "Eviction"): "policy.Eviction",
    ("policy/v1", "PodDisruptionBudget"): "policy.PodDisruptionBudget",
    ("networking.k8s.io/v1", "IPAddress"): "networking.IPAddress",
    ("networking.k8s.io/v1", "Ingress"): "networking.Ingress",
    ("networking.k8s.io/v1", "IngressClass"): "networking.IngressClass",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networking.NetworkPolicy",
    ("networking.k8s.io/v1", "ServiceCIDR"): "networking.ServiceCIDR",
    ("scheduling.k8s.io/v1", "PriorityClass"): "scheduling.PriorityClass",
    ("authentication.k8s.io/v1", "SelfSubjectReview"): "authentication.SelfSubjectReview",
    ("authentication.k8s.io/v1", "TokenRequest"): "authentication.TokenRequest",
    ("authentication.k8s.io/v1", "TokenReview"): "authentication.TokenReview",
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview"): "authorization.LocalSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "authorization.SelfSubjectAccessReview",
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "authorization.SelfSubjectRulesReview",
    ("authorization.k8s.io/v1", "SubjectAccessReview"): "authorization.SubjectAccessReview",
    ("certificates.k8s.io/v1", "CertificateSigningRequest"): "certificates.CertificateSigningRequest",
    ("certificates.k8s.io/v1", "ClusterTrustBundle"): "certificates.ClusterTrustBundle",
    ("certificates.k8s.io/v1", "PodCertificateRequest"): "certificates.PodCertificateRequest",
    ("discovery.k8s.io/v1", "EndpointSlice"): "discovery.EndpointSlice",
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): "apiext.CustomResourceDefinition",
}


#: Kinds that every group version carries (``metav1.AddToGroupVersion``).
_ANY_VERSION_KINDS: Final[dict[str, str]] = {
    "DeleteOptions": "meta.DeleteOptions",
    "Status": "meta.Status",
}


def _unwrap_items(d: dict[str, Any]) -> Any:
    return d.get("items", [])


#: JSON forms of messages whose Go type has its own MarshalJSON (or is a named slice).
_POST: Final[dict[str, Callable[[dict[str, Any]], Any]]] = {
    # JSONSchemaPropsOrArray: the list when it has items, else the schema (or null)
    "apiext.JSONSchemaPropsOrArray": lambda d: d["schemas"] if d.get("schemas") else d.get("schema"),
    # JSONSchemaPropsOrBool: the schema when set, else the boolean
    "apiext.JSONSchemaPropsOrBool": lambda d: d["schema"] if "schema" in d else d["allows"],
    # JSONSchemaPropsOrStringArray: the strings when any, else the schema (or null)
    "apiext.JSONSchemaPropsOrStringArray": lambda d: d["property"] if d.get("property") else d.get("schema"),
    "authentication.AttestationValue": _unwrap_items,
    "authentication.ExtraValue": _unwrap_items,
    "authorization.ExtraValue": _unwrap_items,
    "certificates.ExtraValue": _unwrap_items,
}

# ---------------------------------------------------------------------------
# Compiled tables
# ---------------------------------------------------------------------------

# value kinds; the scalars come first (kind <= _BYTES is a length-delimited scalar)
_STRING, _BYTES, _INT32, _INT64, _BOOL, _DOUBLE = range(6)
_MESSAGE, _TIME, _MICROTIME, _DURATION, _QUANTITY, _INTORSTR, _FIELDSV1, _RAWEXT, _JSON = range(6, 15)
_SCALARS: Final = {"string": _STRING, "bytes": _BYTES, "int32": _INT32, "int64": _INT64, "bool": _BOOL,
                   "double": _DOUBLE}  # fmt: skip
_BUILTINS: Final = {"time": _TIME, "microtime": _MICROTIME, "duration": _DURATION, "quantity": _QUANTITY,
                    "intorstr": _INTORSTR, "fieldsv1": _FIELDSV1, "rawext": _RAWEXT, "json": _JSON}  # fmt: skip
_VARINT_KINDS: Final = frozenset({_INT32, _INT64, _BOOL})

# containers
_SINGLE, _REPEATED, _MAP = range(3)

#: Marks an absent field that is left out, or one whose zero value is a struct.
_OMIT: Final[Any] = object()
_ZERO_STRUCT: Final[Any] = object()
_ABSENT: Final[Any] = object()

#: Go's JSON of the zero value of each non-pointer, non-struct kind.
_ZERO: Final[dict[int, Any]] = {
    _STRING: "",
    _BYTES: None,  # a nil []byte
    _INT32: 0,
    _INT64: 0,
    _BOOL: False,
    _DOUBLE: 0,
    _TIME: None,
    _MICROTIME: None,
    _DURATION: "0s",
    _QUANTITY: "0",
    _INTORSTR: 0,
    _FIELDSV1: None,
    _RAWEXT: None,
    _JSON: None,
}

#: Nesting of messages a body may have (JSONSchemaProps recurses).
_MAX_DEPTH: Final = 128


class _Field:
    __slots__ = (
        "absent",
        "cont",
        "drop_empty",
        "drop_none",
        "entry",
        "inline",
        "kind",
        "msg",
        "name",
        "num",
        "wire",
    )

    def __init__(self, num: int, name: str, kind: int, cont: int) -> None:
        self.num = num
        self.name = name
        self.kind = kind
        self.cont = cont
        self.wire = 0 if kind in _VARINT_KINDS else 1 if kind == _DOUBLE else 2
        self.msg: _Msg | None = None
        self.entry: _Msg | None = None  # a map's entry message {1 key, 2 value}
        self.inline = False
        self.absent: Any = _OMIT
        self.drop_empty = False
        self.drop_none = False


class _Msg:
    __slots__ = ("fields", "name", "order", "post")

    def __init__(self, name: str) -> None:
        self.name = name
        self.fields: dict[int, _Field] = {}
        self.order: tuple[_Field, ...] = ()
        self.post: Callable[[dict[str, Any]], Any] | None = None


def _parse_type(typ: str, msgs: dict[str, _Msg]) -> tuple[int, _Msg | None]:
    if typ in _SCALARS:
        return _SCALARS[typ], None
    if typ in _BUILTINS:
        return _BUILTINS[typ], None
    if typ.startswith("@") and typ[1:] in msgs:
        return _MESSAGE, msgs[typ[1:]]
    raise ValueError(f"protobuf table: unknown type {typ!r}")


def _compile(table: dict[str, str]) -> dict[str, _Msg]:
    msgs = {name: _Msg(name) for name in table}
    for name, spec in table.items():
        msg = msgs[name]
        order: list[_Field] = []
        for token in spec.split():
            num_text, json_name, typ, *rest = token.split(":")
            flags = rest[0] if rest else ""
            if typ.startswith("["):
                cont, typ = _REPEATED, typ[1:-1]
            elif typ.startswith("{"):
                cont, typ = _MAP, typ[1:-1]
            else:
                cont = _SINGLE
            kind, sub = _parse_type(typ, msgs)
            f = _Field(int(num_text), json_name, kind, cont)
            f.msg = sub
            f.inline = "i" in flags
            pointer = "p" in flags
            omitempty = "o" in flags
            omitzero = "z" in flags
            if cont == _MAP:
                f.entry = _map_entry(name, f.name, kind, sub)
            # what an absent field gives
            if cont != _SINGLE or pointer or kind == _BYTES:
                f.absent = _OMIT if omitempty or omitzero else None
            elif kind == _MESSAGE:
                if omitzero:
                    raise ValueError("protobuf table: omitzero on a struct")
                f.absent = _ZERO_STRUCT
            elif omitzero or (omitempty and kind in _SCALARS.values()):
                f.absent = _OMIT
            else:
                f.absent = _ZERO[kind]
            # what a present field drops
            f.drop_empty = (omitempty or omitzero) and not pointer and (cont != _SINGLE or kind <= _DOUBLE)
            f.drop_none = omitzero and kind in (_TIME, _MICROTIME)
            if f.inline and (kind != _MESSAGE or cont != _SINGLE or pointer):
                raise ValueError(f"protobuf table: {name}.{num_text} cannot be inlined")
            if f.num in msg.fields:
                raise ValueError(f"protobuf table: {name}.{num_text} twice")
            msg.fields[f.num] = f
            order.append(f)
        msg.order = tuple(order)
        msg.post = _POST.get(name)
    return msgs


def _map_entry(owner: str, field: str, kind: int, sub: _Msg | None) -> _Msg:
    """The entry message of a ``map<string, T>``: {1 key, 2 value}, absent parts zero."""
    entry = _Msg(f"{owner}.{field}Entry")
    key = _Field(1, "key", _STRING, _SINGLE)
    key.absent = ""
    value = _Field(2, "value", kind, _SINGLE)
    value.msg = sub
    # gogo starts a map value at its zero; a []byte value starts as []byte{}
    value.absent = _ZERO_STRUCT if kind == _MESSAGE else "" if kind == _BYTES else _ZERO[kind]
    entry.fields = {1: key, 2: value}
    entry.order = (key, value)
    return entry


_TABLE: Final[dict[str, _Msg]] = _compile(_MESSAGES)


def _kinds_without_version() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for (_version, kind), name in _KINDS.items():
        out[kind] = None if kind in out else name
    out.update(_ANY_VERSION_KINDS)
    return out


#: A kind sent without an apiVersion, where only one table has that kind.
_BY_KIND: Final[dict[str, str | None]] = _kinds_without_version()


def kinds() -> list[tuple[str, str]]:
    """The (apiVersion, kind) pairs :func:`decode` reads (DeleteOptions and Status: any version)."""
    return sorted(_KINDS)


# ---------------------------------------------------------------------------
# Wire format
# ---------------------------------------------------------------------------


def _bad(message: str) -> errors.StatusError:
    return errors.bad_request(f"unable to decode protobuf request body: {message}")


def _eof() -> errors.StatusError:
    return _bad("unexpected EOF")


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """A base-128 varint as gogo reads it: at most 10 bytes, bits past 64 dropped."""
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise _eof()
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift >= 64:
            raise _bad("proto: integer overflow")


def _length(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """A length prefix; returns (start, stop) of the value."""
    if pos < end and buf[pos] < 0x80:
        stop = pos + 1 + buf[pos]
        pos += 1
    else:
        n, pos = _varint(buf, pos, end)
        if n >= 1 << 63:
            raise _bad("proto: negative length found during unmarshaling")
        stop = pos + n
    if stop > end:
        raise _eof()
    return pos, stop


def _tag(buf: bytes, pos: int, end: int, name: str) -> tuple[int, int, int]:
    """(field number, wire type, position after the tag), with gogo's checks."""
    tag = buf[pos]
    if tag < 0x80:
        pos += 1
    else:
        tag, pos = _varint(buf, pos, end)
    wire = tag & 7
    if wire == 4:
        raise _bad(f"proto: {name}: wiretype end group for non-group")
    num = (tag >> 3) & 0xFFFFFFFF
    if num == 0 or num >= 0x80000000:
        raise _bad(f"proto: {name}: illegal tag {num - (1 << 32) if num >= 0x80000000 else num}")
    return num, wire, pos


def _skip(buf: bytes, pos: int, end: int, wire: int) -> int:
    """Skip one unknown field (and any group it opens), as gogo's skipGenerated."""
    depth = 0
    while True:
        if wire == 0:
            _, pos = _varint(buf, pos, end)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            _, pos = _length(buf, pos, end)
        elif wire == 3:
            depth += 1
        elif wire == 4:
            if depth == 0:
                raise _bad("proto: unexpected end of group")
            depth -= 1
        elif wire == 5:
            pos += 4
        else:
            raise _bad(f"proto: illegal wireType {wire}")
        if pos > end:
            raise _eof()
        if depth == 0:
            return pos
        if pos >= end:
            raise _eof()
        tag, pos = _varint(buf, pos, end)
        wire = tag & 7


def _scan(buf: bytes, pos: int, end: int, name: str, spec: dict[int, int]) -> dict[int, Any]:
    """The last value of each field of a small message: an int (varint) or a (start, stop)."""
    out: dict[int, Any] = {}
    while pos < end:
        num, wire, pos = _tag(buf, pos, end, name)
        want = spec.get(num)
        if want is None:
            pos = _skip(buf, pos, end, wire)
        elif wire != want:
            raise _bad(f"proto: wrong wireType = {wire} for field {num} of {name}")
        elif wire == 0:
            out[num], pos = _varint(buf, pos, end)
        else:
            start, pos = _length(buf, pos, end)
            out[num] = (start, pos)
    return out


def _int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _int64(v: int) -> int:
    return v - (1 << 64) if v & 0x8000000000000000 else v


def _go_replace(exc: UnicodeError) -> tuple[str, int]:
    """Go's encoding/json writes U+FFFD for every byte of an invalid UTF-8 sequence."""
    if isinstance(exc, UnicodeDecodeError):
        return "\ufffd" * (exc.end - exc.start), exc.end
    raise exc


codecs.register_error("setpoint.protobuf", _go_replace)


def _str(buf: bytes, start: int, stop: int) -> str:
    try:
        return buf[start:stop].decode()
    except UnicodeDecodeError:
        return buf[start:stop].decode("utf-8", "setpoint.protobuf")


def _b64(buf: bytes, start: int, stop: int) -> str:
    return base64.b64encode(buf[start:stop]).decode("ascii")


def _double(raw: bytes) -> Any:
    v: float = struct.unpack("<d", raw)[0]
    if not math.isfinite(v):
        raise _bad(f"json: unsupported value: {v}")
    # Go writes a whole number below 1e21 without a fraction: the JSON path reads an int
    return int(v) if v.is_integer() and abs(v) < 1e21 else v


def _varint_value(kind: int, v: int) -> Any:
    if kind == _INT64:
        return _int64(v)
    if kind == _INT32:
        return _int32(v)
    return v != 0


# --- builtins --------------------------------------------------------------

_TIMESTAMP: Final = {1: 0, 2: 0}
#: 0001-01-01T00:00:00Z (Go's zero time) and 9999-12-31T23:59:59Z, in Unix seconds.
_MIN_SECONDS: Final = -62135596800
_MAX_SECONDS: Final = 253402300799
_EPOCH: Final = datetime(1970, 1, 1)


def _time(buf: bytes, start: int, stop: int, micro: bool) -> str | None:
    """``metav1.Time`` (seconds; nanos ignored) or ``MicroTime`` (nanos cut to micros)."""
    if start == stop:
        return None  # an empty message is the zero time
    f = _scan(buf, start, stop, "Timestamp", _TIMESTAMP)
    seconds = _int64(f.get(1, 0))
    nanos = _int32(f.get(2, 0)) if micro else 0
    nanos = nanos // 1000 * 1000 if nanos >= 0 else -(-nanos // 1000 * 1000)
    seconds, nanos = divmod(seconds * 1_000_000_000 + nanos, 1_000_000_000)
    if seconds == _MIN_SECONDS and nanos == 0:
        return None  # Go's zero time marshals as null
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise _bad(f"time {seconds} is out of range")
    t = _EPOCH + timedelta(seconds=seconds)
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return f"{text}.{nanos // 1000:06d}Z" if micro else f"{text}Z"


def _frac(v: int, prec: int) -> tuple[str, int]:
    """Go's fmtFrac: the fraction of v / 10**prec without trailing zeros, and the quotient."""
    q, r = divmod(v, 10**prec)
    digits = f"{r:0{prec}d}".rstrip("0") if prec else ""
    return ("." + digits if digits else ""), q


def go_duration(d: int) -> str:
    """Go's ``time.Duration.String`` of d nanoseconds (``1h2m3.5s``, ``1.5ms``, ``0s``)."""
    u = -d if d < 0 else d
    if u == 0:
        return "0s"
    if u < 1_000_000_000:
        if u < 1_000:
            prec, unit = 0, "ns"
        elif u < 1_000_000:
            prec, unit = 3, "µs"
        else:
            prec, unit = 6, "ms"
        frac, whole = _frac(u, prec)
        text = f"{whole}{frac}{unit}"
    else:
        frac, secs = _frac(u, 9)
        text = f"{secs % 60}{frac}s"
        minutes = secs // 60
        if minutes:
            text = f"{minutes % 60}m{text}"
            hours = minutes // 60
            if hours:
                text = f"{hours}h{text}"
    return "-" + text if d < 0 else text


#: resource.ParseQuantity's grammar: a signed decimal and a suffix (binary SI, decimal
#: SI or an exponent).
_QUANTITY_RE: Final = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?"
)

#: First bytes of FieldsV1 contents that kube takes for CBOR.
_CBOR_FIRST: Final = frozenset({0xF6, *range(0xA0, 0xC0), *range(0xC6, 0xDC)})
#: First bytes of RawExtension contents that kube takes for JSON.
_JSON_FIRST: Final = frozenset(b"\t\r\n {[ntf\"-0123456789")


def _json(buf: bytes, start: int, stop: int, what: str) -> Any:
    try:
        return orjson.loads(buf[start:stop])
    except orjson.JSONDecodeError as exc:
        raise _bad(f"{what} is not valid JSON: {exc}") from None


def _builtin(kind: int, buf: bytes, start: int, stop: int) -> Any:
    if kind == _TIME:
        return _time(buf, start, stop, False)
    if kind == _MICROTIME:
        return _time(buf, start, stop, True)
    if kind == _DURATION:
        return go_duration(_int64(_scan(buf, start, stop, "Duration", {1: 0}).get(1, 0)))
    if kind == _INTORSTR:
        f = _scan(buf, start, stop, "IntOrString", {1: 0, 2: 0, 3: 2})
        typ = _int64(f.get(1, 0))
        if typ == 0:
            return _int32(f.get(2, 0))
        if typ == 1:
            return _str(buf, *f[3]) if 3 in f else ""
        raise _bad("impossible IntOrString.Type")
    raw = _scan(buf, start, stop, _BUILTIN_NAMES[kind], {1: 2}).get(1)
    if kind == _QUANTITY:
        if raw is None:
            return "0"
        text = _str(buf, *raw)
        if not _QUANTITY_RE.fullmatch(text):
            raise _bad(f"quantity {text!r}: quantities must match the regular expression "
                       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")  # fmt: skip
        return text
    if kind == _FIELDSV1:
        if raw is None or raw[0] == raw[1]:
            return None
        if buf[raw[0]] in _CBOR_FIRST:
            raise _bad("managedFields in CBOR are not supported")
        return _json(buf, raw[0], raw[1], "FieldsV1")
    if kind == _RAWEXT:
        if raw is None:
            return None  # a nil Raw
        if raw[0] == raw[1] or buf[raw[0]] not in _JSON_FIRST:
            raise _bad("cannot convert RawExtension with unrecognized content type to unstructured")
        return _json(buf, raw[0], raw[1], "RawExtension")
    # apiextensions JSON
    if raw is None or raw[0] == raw[1]:
        return None
    return _json(buf, raw[0], raw[1], "JSON")


_BUILTIN_NAMES: Final = {_QUANTITY: "Quantity", _FIELDSV1: "FieldsV1", _RAWEXT: "RawExtension", _JSON: "JSON"}


# --- messages --------------------------------------------------------------


def _value(f: _Field, buf: bytes, start: int, stop: int, depth: int) -> Any:
    """One length-delimited value of field f."""
    kind = f.kind
    if kind == _STRING:
        return _str(buf, start, stop)
    if kind == _BYTES:
        return _b64(buf, start, stop)
    if kind == _MESSAGE:
        assert f.msg is not None
        return _message(f.msg, buf, start, stop, depth + 1)
    return _builtin(kind, buf, start, stop)


def _merged(f: _Field, buf: bytes, segments: list[int], depth: int) -> Any:
    """A non-repeated message field from all its occurrences (start, stop, start, stop...)."""
    if len(segments) == 2 or f.kind in (_TIME, _MICROTIME):
        # one occurrence, or a Time: its Unmarshal starts afresh, so the last one wins
        return _value(f, buf, segments[-2], segments[-1], depth)
    data = b"".join(buf[segments[i] : segments[i + 1]] for i in range(0, len(segments), 2))
    return _value(f, data, 0, len(data), depth)


def _scalar_entry(is_bytes: bool, buf: bytes, pos: int, end: int, into: dict[str, Any]) -> None:
    """One entry of a ``map<string, string>`` or ``map<string, bytes>`` (the common maps)."""
    key = ""
    vstart = vstop = -1
    while pos < end:
        tag = buf[pos]
        if tag == 0x0A or tag == 0x12:  # field 1 or 2, length-delimited
            if pos + 1 < end and buf[pos + 1] < 0x80:
                start = pos + 2
                pos = start + buf[pos + 1]
                if pos > end:
                    raise _eof()
            else:
                start, pos = _length(buf, pos + 1, end)
            if tag == 0x0A:
                key = _str(buf, start, pos)
            else:
                vstart, vstop = start, pos
        else:
            num, wire, pos = _tag(buf, pos, end, "MapEntry")
            if num <= 2:
                raise _bad(f"proto: wrong wireType = {wire} for map entry field {num}")
            pos = _skip(buf, pos, end, wire)
    if vstart < 0:
        into[key] = ""  # gogo starts a value at "" ([]byte{} for bytes)
    else:
        into[key] = _b64(buf, vstart, vstop) if is_bytes else _str(buf, vstart, vstop)


def _packed(f: _Field, buf: bytes, pos: int, stop: int, into: list[Any]) -> None:
    if f.wire == 0:
        while pos < stop:
            v, pos = _varint(buf, pos, stop)
            into.append(_varint_value(f.kind, v))
        return
    if (stop - pos) % 8:
        raise _eof()
    for i in range(pos, stop, 8):
        into.append(_double(buf[i : i + 8]))


def _message(msg: _Msg, buf: bytes, pos: int, end: int, depth: int) -> Any:
    """Decode buf[pos:end] as msg into its JSON form."""
    if depth > _MAX_DEPTH:
        raise _bad(f"max depth of {_MAX_DEPTH} nested messages exceeded")
    get_field = msg.fields.get
    found: dict[int, Any] = {}
    # (the literals below are _SINGLE == 0, _REPEATED == 1 and kind <= 1 for string/bytes)
    while pos < end:
        tag = buf[pos]
        if 8 <= tag < 0x80 and tag & 7 != 4:  # the usual one-byte tag
            pos += 1
            num = tag >> 3
            wire = tag & 7
        else:
            num, wire, pos = _tag(buf, pos, end, msg.name)
        f = get_field(num)
        if f is None:
            pos = _skip(buf, pos, end, wire)
            continue
        if wire == 2:
            if pos < end and buf[pos] < 0x80:
                start = pos + 1
                pos = start + buf[pos]
                if pos > end:
                    raise _eof()
            else:
                start, pos = _length(buf, pos, end)
            cont = f.cont
            if f.wire != 2:
                if cont != 1:
                    raise _bad(f"proto: wrong wireType = 2 for field {f.name} of {msg.name}")
                items = found.get(num)
                if items is None:
                    items = found[num] = []
                _packed(f, buf, start, pos, items)
            elif cont == 0:
                if f.kind <= 1:
                    found[num] = (start, pos)
                else:
                    segments = found.get(num)
                    if segments is None:
                        found[num] = [start, pos]
                    else:
                        segments += (start, pos)
            elif cont == 1:
                item = _value(f, buf, start, pos, depth)
                items = found.get(num)
                if items is None:
                    found[num] = [item]
                else:
                    items.append(item)
            else:
                mapping = found.get(num)
                if mapping is None:
                    mapping = found[num] = {}
                if f.kind <= 1:
                    _scalar_entry(f.kind == 1, buf, start, pos, mapping)
                else:
                    assert f.entry is not None
                    entry = _message(f.entry, buf, start, pos, depth + 1)
                    mapping[entry["key"]] = entry["value"]
            continue
        if wire != f.wire:
            raise _bad(f"proto: wrong wireType = {wire} for field {f.name} of {msg.name}")
        if wire == 0:
            if pos < end and buf[pos] < 0x80:
                v = buf[pos]
                pos += 1
            else:
                v, pos = _varint(buf, pos, end)
            kind = f.kind
            value: Any = _int64(v) if kind == _INT64 else _int32(v) if kind == _INT32 else v != 0
        else:  # fixed64: a double
            if pos + 8 > end:
                raise _eof()
            value = _double(buf[pos : pos + 8])
            pos += 8
        if f.cont == 1:
            items = found.get(num)
            if items is None:
                found[num] = [value]
            else:
                items.append(value)
        else:
            found[num] = value

    out: dict[str, Any] = {}
    for f in msg.order:
        v = found.get(f.num, _ABSENT)
        if v is _ABSENT:
            val = f.absent
            if val is _OMIT:
                continue
            if val is _ZERO_STRUCT:
                assert f.msg is not None
                val = _message(f.msg, b"", 0, 0, depth + 1)
        else:
            kind = f.kind
            if f.cont:
                val = v
            elif kind == _STRING:
                try:
                    val = buf[v[0] : v[1]].decode()
                except UnicodeDecodeError:
                    val = _str(buf, v[0], v[1])
            elif kind < _MESSAGE:
                val = _b64(buf, v[0], v[1]) if kind == _BYTES else v
            elif kind == _TIME and v[-2] == v[-1]:
                val = None  # the usual zero creationTimestamp
            else:
                val = _merged(f, buf, v, depth)
            if f.drop_empty and not val:
                continue
            if f.drop_none and val is None:
                continue
        if f.inline:
            out.update(val)
        else:
            out[f.name] = val
    post = msg.post
    return out if post is None else post(out)


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

_UNKNOWN: Final = {1: 2, 2: 2, 3: 2, 4: 2}
_TYPE_META: Final = {1: 2, 2: 2}


def decode(body: bytes) -> dict[str, Any]:
    """A kube protobuf request body as the dict its JSON encoding would parse to.

    The result has ``kind`` and ``apiVersion`` from the envelope (left out when empty)
    and the fields of the object.  Raises a 400 :class:`~setpoint.apiserver.encoding.errors.StatusError`
    for bytes that are not a kube protobuf message, a 415 for a kind with no table here.
    """
    try:
        return _decode(body)
    except errors.StatusError:
        raise
    except RecursionError:
        raise _bad("too deeply nested") from None
    except (IndexError, ValueError, OverflowError, struct.error) as exc:  # a safety net
        raise _bad(str(exc) or type(exc).__name__) from None


def _decode(body: bytes) -> dict[str, Any]:
    if not body.startswith(MAGIC):
        raise errors.bad_request(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    api_version = kind = ""
    raw: tuple[int, int] | None = None
    pos, end = len(MAGIC), len(body)
    while pos < end:
        num, wire, pos = _tag(body, pos, end, "Unknown")
        want = _UNKNOWN.get(num)
        if want is None:
            pos = _skip(body, pos, end, wire)
            continue
        if wire != want:
            raise _bad(f"proto: wrong wireType = {wire} for field {num} of Unknown")
        start, pos = _length(body, pos, end)
        if num == 1:  # typeMeta: merged, so each part keeps its last value
            meta = _scan(body, start, pos, "TypeMeta", _TYPE_META)
            if 1 in meta:
                api_version = _str(body, *meta[1])
            if 2 in meta:
                kind = _str(body, *meta[2])
        elif num == 2:
            raw = (start, pos)
        # 3 contentEncoding and 4 contentType are ignored, as kube does
    if not kind:
        raise errors.bad_request("Object 'Kind' is missing in protobuf request body")
    name = _ANY_VERSION_KINDS.get(kind) or (
        _KINDS.get((api_version, kind)) if api_version else _BY_KIND.get(kind)
    )
    if name is None:
        raise errors.unsupported_media_type(PROTOBUF, ACCEPTED)
    out: dict[str, Any] = {"kind": kind}
    if api_version:
        out["apiVersion"] = api_version
    start, stop = raw if raw is not None else (0, 0)
    out.update(_message(_TABLE[name], body, start, stop, 0))
    return out

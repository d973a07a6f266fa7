package api

import "github.com/gin-gonic/gin"

// Error codes of the JSON error answer {"error_code": ..., "message": ...}.
// The first group is DataKit's; README.md lists them all.
const (
	codeEmptyBody        = "datakit.emptyBody"
	codeInvalidLinePoint = "datakit.invalidLinePoint"
	codeInvalidJSONPoint = "datakit.invalidJSONPoint"
	codeNoPoints         = "datakit.noPoints"
	codeInvalidCategory  = "datakit.invalidCategory"
	codePointLimit       = "datakit.pointLimit"
	codePublicAccess     = "datakit.publicAccessDisabled"

	codeBodyTooLarge     = "datakit.bodyTooLarge"
	codeBusy             = "datakit.busy"
	codeUnavailable      = "datakit.unavailable"
	codeInvalidParameter = "datakit.invalidParameter"
	codeInvalidEncoding  = "datakit.invalidEncoding"
	codeBadBody          = "datakit.badBody"
	codeNotFound         = "datakit.notFound"
	codeNotImplemented   = "datakit.notImplemented"
	codeInternal         = "datakit.internal"
)

// apiError is an answer decided before it is written.
type apiError struct {
	status    int
	code, msg string
}

type errorBody struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

func fail(c *gin.Context, status int, code, msg string) {
	c.AbortWithStatusJSON(status, errorBody{ErrorCode: code, Message: msg})
}

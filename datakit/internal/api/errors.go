package api

import "github.com/gin-gonic/gin"

// Error codes of the JSON error answer {"error_code": ..., "message": ...}.
// The first group is DataKit's, spelled as it derives them: "datakit." and
// its message with every word after the first title-cased ("invalid json
// point" is datakit.invalidJsonPoint). The second group is this project's,
// for answers DataKit does not give. README.md lists them all.
const (
	codeEmptyBody        = "datakit.emptyBody"
	codeInvalidLinePoint = "datakit.invalidLinePoint"
	codeInvalidJSONPoint = "datakit.invalidJsonPoint"
	codeNoPoints         = "datakit.noPoints"
	codeInvalidCategory  = "datakit.invalidCategory"
	codePublicAccess     = "datakit.publicAccessDisabled"
	codeStrictPoint      = "datakit.pointGotWarning"
	codeInvalidPrecision = "datakit.invalidPrecision"
	codeInvalidParameter = "datakit.invalidRequest"
	codeInvalidEncoding  = "datakit.decodeBodyFailed"

	codePointLimit     = "datakit.pointLimit"
	codeBodyTooLarge   = "datakit.bodyTooLarge"
	codeBodyTimeout    = "datakit.bodyTimeout" // the body did not arrive within body_timeout
	codeBusy           = "datakit.busy"
	codeUnavailable    = "datakit.unavailable"
	codeBadBody        = "datakit.badBody"
	codeNotFound       = "datakit.notFound"
	codeNotImplemented = "datakit.notImplemented"
	codeInternal       = "datakit.internal"
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

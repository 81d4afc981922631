package alb

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Defaults of [Config].
const (
	// DefaultLeeway is the clock skew allowed on "exp" when
	// [Config.Leeway] is zero.
	DefaultLeeway = 5 * time.Second

	// FetchTimeout bounds one key fetch, connection and body included.
	FetchTimeout = 5 * time.Second

	// MaxKeySize is the largest key document read: a P-256 public key in
	// PEM is under 200 bytes.
	MaxKeySize = 16 << 10

	// CacheSize is how many keys are kept. ALB rotates its keys rarely,
	// so a handful are in use at a time; past the limit the key cached
	// first is dropped (and fetched again if it is still used).
	CacheSize = 64

	// MissInterval is how long a kid the endpoint does not know (status
	// 400, 403, 404 or 410) is remembered as unknown: one fetch per such
	// kid per interval.
	MissInterval = time.Minute

	// FailureInterval is how long a failed fetch (transport error,
	// timeout, other status, a document that is not a P-256 key) is
	// remembered for its kid before the next try.
	FailureInterval = 5 * time.Second

	// FetchBurst and FetchRate bound key fetches over all kids together:
	// at most FetchBurst at once, then one per FetchRate. Tokens with
	// random kids therefore cost at most this many requests to the key
	// endpoint, however many arrive.
	FetchBurst = 8
	FetchRate  = 10 * time.Second
)

// Config configures a [Verifier]. Fields left zero take the documented
// default; [New] refuses the invalid values listed on each field.
type Config struct {
	// Region is the AWS region of the load balancers, such as
	// "us-east-1": keys are fetched from
	// https://public-keys.auth.elb.<Region>.amazonaws.com/<kid> (for
	// us-gov-west-1 and us-gov-east-1, from the regional S3 endpoint AWS
	// documents). Required unless KeyURL is set; a value that is not a
	// region name is refused, and so is a China or ISO region without
	// KeyURL. When set, every ARN in ALBARNs must be in this region.
	Region string

	// ALBARNs are the load balancers whose tokens are accepted: the
	// token's "signer" header must equal one of them exactly, e.g.
	// "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-alb/1234567890abcdef".
	// Required: every ALB in a region, in any account, signs with the
	// same keys, so without this list a token minted by anyone's ALB
	// would be accepted. Empty, or an entry that is not an ALB ARN, is
	// refused by New.
	ALBARNs []string

	// Issuer, when not empty, is the identity provider's issuer that the
	// "iss" header must equal exactly. Empty means any.
	Issuer string

	// ClientIDs, when not empty, are the accepted values of the "client"
	// header (the client id the ALB uses at the identity provider). Nil
	// means any; an empty string in the list is refused by New.
	ClientIDs []string

	// KeyURL overrides the key endpoint (tests, private mirrors): the key
	// for a kid is fetched from KeyURL + "/" + url.PathEscape(kid). It
	// must be https, or http on a loopback host or with AllowInsecureHTTP;
	// a query or fragment is refused. Empty means the regional endpoint.
	KeyURL string

	// HTTPClient fetches keys. It is copied, never modified; redirects
	// are followed only to the same scheme, host and port. Nil means a
	// client with bounded connect and TLS handshake times and proxies
	// from the environment. Every fetch is bounded by FetchTimeout.
	HTTPClient *http.Client

	// AllowInsecureHTTP allows an http KeyURL on a host that is not
	// loopback. Leave it off: a key fetched in clear text can be replaced
	// on the way.
	AllowInsecureHTTP bool

	// Leeway is the clock skew allowed on "exp". Zero means
	// DefaultLeeway (5 s); negative is refused by New.
	Leeway time.Duration

	// Now returns the current time. Nil means time.Now.
	Now func() time.Time

	// MaxTokenSize is the largest token accepted, in bytes, checked
	// before any decoding. Zero means jws.DefaultMaxTokenSize (16 KiB);
	// negative is refused by New.
	MaxTokenSize int
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+){1,3}-[0-9]{1,2}$`)

// govKeyURLs are the GovCloud key endpoints, which AWS serves from S3
// rather than from public-keys.auth.elb.
var govKeyURLs = map[string]string{
	"us-gov-west-1": "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1",
	"us-gov-east-1": "https://s3-us-gov-east-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-east-1",
}

// keyBase returns the URL that "/" + escaped kid is appended to.
func (c *Config) keyBase() (string, error) {
	if c.KeyURL != "" {
		u, err := url.Parse(c.KeyURL)
		if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.Opaque != "" {
			return "", fmt.Errorf("alb: KeyURL %q is not an absolute URL", clip(c.KeyURL))
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(c.KeyURL, "?#") {
			return "", fmt.Errorf("alb: KeyURL %q must have no query or fragment: the kid is appended to its path", clip(c.KeyURL))
		}
		switch u.Scheme {
		case "https":
		case "http":
			if !c.AllowInsecureHTTP && !isLoopback(u.Hostname()) {
				return "", fmt.Errorf("alb: KeyURL %q must be https (http only on a loopback host or with AllowInsecureHTTP)", clip(c.KeyURL))
			}
		default:
			return "", fmt.Errorf("alb: KeyURL %q must be https", clip(c.KeyURL))
		}
		return strings.TrimRight(c.KeyURL, "/"), nil
	}
	if c.Region == "" {
		return "", errors.New("alb: Region is required unless KeyURL is set")
	}
	if u, ok := govKeyURLs[c.Region]; ok {
		return u, nil
	}
	if strings.HasPrefix(c.Region, "cn-") || strings.Contains(c.Region, "-iso") {
		return "", fmt.Errorf("alb: no known key endpoint for region %q: set KeyURL", c.Region)
	}
	return "https://public-keys.auth.elb." + c.Region + ".amazonaws.com", nil
}

func (c *Config) validate() error {
	if c.Region != "" && !regionRE.MatchString(c.Region) {
		return fmt.Errorf("alb: Region %q is not an AWS region name such as us-east-1", clip(c.Region))
	}
	if len(c.ALBARNs) == 0 {
		return errors.New("alb: ALBARNs is required: every ALB in a region signs with the same keys, so the signer must be pinned")
	}
	for _, arn := range c.ALBARNs {
		region, err := checkARN(arn)
		if err != nil {
			return err
		}
		if c.Region != "" && region != c.Region {
			return fmt.Errorf("alb: ALBARNs entry %q is in region %q, not Region %q: its tokens could never verify", clip(arn), region, c.Region)
		}
	}
	if slices.Contains(c.ClientIDs, "") {
		return errors.New("alb: ClientIDs has an empty entry")
	}
	if c.Leeway < 0 {
		return errors.New("alb: negative Leeway")
	}
	if c.MaxTokenSize < 0 {
		return errors.New("alb: negative MaxTokenSize")
	}
	return nil
}

// checkARN checks that arn names an Application Load Balancer
// (arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>)
// and returns its region.
func checkARN(arn string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("alb: ALBARNs entry %q is not an ALB ARN: %s", clip(arn), why)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" {
		return bad("want arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>")
	}
	if parts[2] != "elasticloadbalancing" {
		return bad("service is not elasticloadbalancing")
	}
	if !regionRE.MatchString(parts[3]) {
		return bad("no region")
	}
	if len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return bad("account is not 12 digits")
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 4 || res[0] != "loadbalancer" || res[1] != "app" || res[2] == "" || res[3] == "" {
		return bad("resource is not loadbalancer/app/<name>/<id>")
	}
	return parts[3], nil
}

// isLoopback reports whether host is "localhost" or a loopback IP.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clip bounds configuration text echoed in errors.
func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

package ginauth_test

import (
	"log"

	"github.com/cognitojwt/cognitojwt"
	ginauth "github.com/cognitojwt/cognitojwt/contrib/gin"
	"github.com/cognitojwt/cognitojwt/httpauth"
	"github.com/gin-gonic/gin"
)

// Routes of a gin engine that need a token, a scope and a group; the
// handlers read the typed claims.
func ExampleRequire() {
	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
	})
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpauth.New(v, nil)
	if err != nil {
		log.Fatal(err)
	}

	r := gin.New()
	r.GET("/api/orders", ginauth.Require(auth, httpauth.Scope("orders/read")), func(c *gin.Context) {
		claims, _ := ginauth.Claims[*cognitojwt.Claims](c)
		c.JSON(200, gin.H{"user": claims.Username})
	})
	admin := r.Group("/api/admin", ginauth.Require(auth, httpauth.Group("admin")))
	admin.GET("/stats", func(c *gin.Context) { c.JSON(200, gin.H{"orders": 0}) })
	_ = r // r.Run(":8080")
}

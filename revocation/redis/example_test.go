package redis_test

import (
	"context"
	"log"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cognitojwt/cognitojwt"
	"github.com/cognitojwt/cognitojwt/revocation"
	"github.com/cognitojwt/cognitojwt/revocation/redis"
)

// Every instance of an API builds one store on its Redis client and hands
// it to its verifier; a sign-out recorded on any instance is refused by
// all of them within a second.
func Example() {
	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	store, err := redis.New(redis.Options{Client: client}) // OnUnavailable: redis.Deny
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := store.WaitReady(ctx); err != nil {
		log.Print(err) // serve anyway: Check answers 503 until Redis is reached
	}

	v, err := cognitojwt.New(cognitojwt.Config{
		UserPoolID: "us-east-1_AbCdEfGhI",
		TokenUse:   cognitojwt.AccessToken,
		ClientIDs:  []string{"1example23456789"},
		Revocation: store,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = v

	// On AdminUserGlobalSignOut of "alice": every token issued until now.
	err = store.Revoke(ctx, revocation.Entry{Kind: revocation.Username, Value: "alice", At: time.Now()})
	if err != nil {
		log.Print(err) // wraps revocation.ErrUnavailable: retry, the sign-out is not recorded
	}
}

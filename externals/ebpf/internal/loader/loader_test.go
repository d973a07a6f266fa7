package loader

import (
	"errors"
	"strings"
	"testing"
)

type closer struct {
	name  string
	order *[]string
	err   error
}

func (c closer) Close() error { *c.order = append(*c.order, c.name); return c.err }

func TestStackClosesInReverseAndKeepsEveryError(t *testing.T) {
	var order []string
	var s Stack
	s.Push(closer{"objects", &order, errors.New("e1")})
	s.Push(closer{"reader", &order, nil})
	s.Push(closer{"link", &order, errors.New("e2")})
	err := s.Close()
	if strings.Join(order, ",") != "link,reader,objects" {
		t.Fatalf("close order %v", order)
	}
	if err == nil || !strings.Contains(err.Error(), "e1") || !strings.Contains(err.Error(), "e2") {
		t.Fatalf("error %v, want both", err)
	}
	if s.Close() != nil || len(order) != 3 {
		t.Fatal("second Close closed again")
	}
}

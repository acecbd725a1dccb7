package membership

import "fmt"

// EventKind says what happened to a member.
type EventKind int

// Event kinds.
const (
	// EventJoin: a node came up (or was first seen).
	EventJoin EventKind = iota + 1
	// EventLeave: a node left or was declared dead.
	EventLeave
	// EventUpdate: a node's metadata (address, zone, app meta) changed.
	EventUpdate
)

// String returns "join", "leave" or "update".
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventUpdate:
		return "update"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is a change to another member, as Subscribe delivers it.
type Event struct {
	Kind   EventKind
	Member Member
}

// subscriberBuffer is each subscription channel's buffer.
const subscriberBuffer = 64

// Subscribe returns a channel of the events about other nodes from now
// on, in the order they happened; it is closed by Shutdown. Events are
// queued without bound and handed out by one goroutine, so a subscriber
// that stops reading delays the others: read promptly.
func (m *Membership) Subscribe() <-chan Event {
	ch := make(chan Event, subscriberBuffer)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		close(ch)
		return ch
	}
	m.subs = append(m.subs, ch)
	return ch
}

// emit queues ev for the subscribers; it never blocks. m.mu must be held.
func (m *Membership) emitLocked(ev Event) {
	m.queue = append(m.queue, ev)
	select {
	case m.kick <- struct{}{}:
	default:
	}
	select {
	case m.dirty <- struct{}{}:
	default:
	}
}

// dispatch hands queued events to the subscribers until shutdown.
func (m *Membership) dispatch() {
	defer m.wg.Done()
	for {
		select {
		case <-m.done:
			return
		case <-m.kick:
		}
		for {
			m.mu.Lock()
			if len(m.queue) == 0 {
				m.mu.Unlock()
				break
			}
			ev := m.queue[0]
			m.queue = m.queue[1:]
			subs := append([]chan Event(nil), m.subs...)
			m.mu.Unlock()
			for _, ch := range subs {
				select {
				case ch <- ev:
				case <-m.done:
					return
				}
			}
		}
	}
}

package bucketconfig

import "testing"

func TestUploadsEnabled(t *testing.T) {
	const head = `<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IndexDocument><Suffix>index.html</Suffix></IndexDocument>`
	cases := []struct {
		name, doc string
		want      bool
	}{
		{"empty", "", false},
		{"no element", head + `</WebsiteConfiguration>`, false},
		{"enabled", head + `<GarageWebUploads>Enabled</GarageWebUploads></WebsiteConfiguration>`, true},
		{"enabled, spaces and case", head + `<GarageWebUploads> enabled </GarageWebUploads></WebsiteConfiguration>`, true},
		{"disabled", head + `<GarageWebUploads>Disabled</GarageWebUploads></WebsiteConfiguration>`, false},
		{"twice", head + `<GarageWebUploads>Enabled</GarageWebUploads><GarageWebUploads>Enabled</GarageWebUploads></WebsiteConfiguration>`, false},
		{"nested elsewhere", head + `<RoutingRules><GarageWebUploads>Enabled</GarageWebUploads></RoutingRules></WebsiteConfiguration>`, false},
		{"other root", `<CORSConfiguration><GarageWebUploads>Enabled</GarageWebUploads></CORSConfiguration>`, false},
		{"malformed", head + `<GarageWebUploads>Enabled`, false},
	}
	for _, c := range cases {
		if got := UploadsEnabled([]byte(c.doc)); got != c.want {
			t.Errorf("%s: UploadsEnabled = %v, want %v", c.name, got, c.want)
		}
	}
	// The extension does not stop the document from being a valid S3
	// website configuration.
	if _, err := ParseWebsite([]byte(head + `<GarageWebUploads>Enabled</GarageWebUploads></WebsiteConfiguration>`)); err != nil {
		t.Errorf("ParseWebsite with the extension element: %v", err)
	}
}

module github.com/cognitojwt/cognitojwt

go 1.25

require go.yaml.in/yaml/v3 v3.0.6
